"""`AppRecordTrigger`: the triggerer side of `AppTriggerSensor`. It asks an app, every `poke_interval` seconds,
for the records of a search (with its inputs) or of a polling trigger (over [since, now)) until one matches the
conditions (the workflow condition language: `{all: [...], any: [...]}` of `{field, operator, value}`).

The app client is blocking (requests, the registry's token store and rate budgets): each check runs in a thread
(`asyncio.to_thread`), so the triggerer's event loop keeps serving its other triggers. Reading the connection and
the app's environment Variable from that thread goes through the triggerer's comms like any SDK call.

`check_once` is the one check both sides run: the sensor's `poke` on a worker, the trigger in the triggerer.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

if TYPE_CHECKING:
    from connectors.runtime.http.client import AppClient

CLASSPATH = "connectors.operators.triggers.AppRecordTrigger"


@dataclass(frozen=True)
class Check:
    """One look at the app: the first matching record (its declared output fields), or why none matched."""

    matched: bool
    record: Any = None
    seen: int = 0
    reason: str = ""


def output_fields(record: Any, output: dict[str, Any]) -> Any:
    """Only the fields the search or trigger declares as its output (all of the record when it declares none)."""
    if not output:
        return record
    from connectors.runtime.paths import dig

    return {name: dig(record, name) for name in output}


def as_instant(value: Any) -> dt.datetime:
    """A datetime, or an ISO-8601 text (a rendered template), as an aware UTC instant."""
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def check_once(
    client: AppClient,
    *,
    search: str | None,
    trigger: str | None,
    inputs: dict[str, Any],
    conditions: dict[str, Any] | None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> Check:
    """The first record of the search (or of the trigger's window [since, until)) that passes the conditions; with
    no conditions, the first record. Polling stops reading pages at the first match."""
    from connectors.runtime.conditions import evaluate_conditions
    from connectors.runtime.polling import poll
    from connectors.runtime.steps import search_records
    from connectors.spec.conditions import ConditionsSpec

    spec = ConditionsSpec.model_validate(conditions or {})
    records: Iterable[Any]
    if search is not None:
        if search not in client.spec.searches:
            raise KeyError(f"{client.spec.ref} has no search '{search}'")
        output = client.spec.searches[search].output
        records = search_records(client, search, inputs)
    else:
        declared = client.spec.triggers.get(trigger or "")
        if declared is None or declared.type != "polling":
            raise KeyError(f"{client.spec.ref} has no polling trigger '{trigger}'")
        output = declared.output
        end = until or dt.datetime.now(dt.UTC)
        records = poll(client, trigger or "", since or end, end, inputs)
    seen, reason = 0, "no records"
    for record in records:
        seen += 1
        passed, why = evaluate_conditions(spec, record)
        if passed:
            return Check(True, output_fields(record, output), seen)
        reason = why
    return Check(False, None, seen, reason)


class AppRecordTrigger(BaseTrigger):
    """Fires once: `{"status": "success", "record": ...}` when a record matches, `{"status": "timeout"}` when
    `deadline` (ISO-8601) passes first, `{"status": "error", "message"}` when the app refuses for good (a
    configuration, permanent or auth error). Transient failures (timeouts, 5xx, 429 after the client's own
    retries) are logged and the next check tries again."""

    def __init__(
        self,
        *,
        app: str,
        conn_id: str,
        search: str | None = None,
        trigger: str | None = None,
        inputs: dict[str, Any] | None = None,
        conditions: dict[str, Any] | None = None,
        since: str | None = None,
        poke_interval: float = 60.0,
        deadline: str | None = None,
    ) -> None:
        super().__init__()
        if (search is None) == (trigger is None):
            raise ValueError("give exactly one of 'search' and 'trigger'")
        self.app, self.conn_id, self.search, self.trigger = app, conn_id, search, trigger
        self.inputs, self.conditions = dict(inputs or {}), dict(conditions or {})
        self.since, self.poke_interval, self.deadline = since, float(poke_interval), deadline
        self._client: AppClient | None = None

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return CLASSPATH, {
            "app": self.app,
            "conn_id": self.conn_id,
            "search": self.search,
            "trigger": self.trigger,
            "inputs": self.inputs,
            "conditions": self.conditions,
            "since": self.since,
            "poke_interval": self.poke_interval,
            "deadline": self.deadline,
        }

    def _check(self) -> Check:
        """Runs in a worker thread: builds the client once (connection, Variables, token store), then asks."""
        if self._client is None:
            from connectors.hooks.app import AppHook

            self._client = AppHook(self.app, self.conn_id).get_client()
        since = as_instant(self.since) if self.since else None
        return check_once(
            self._client,
            search=self.search,
            trigger=self.trigger,
            inputs=self.inputs,
            conditions=self.conditions,
            since=since,
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from connectors.runtime.errors import RetryableError
        from connectors.runtime.redaction import secrets

        deadline = as_instant(self.deadline) if self.deadline else None
        what = f"{self.app} {'search ' + self.search if self.search else 'trigger ' + str(self.trigger)}"
        checks = 0
        while True:
            checks += 1
            try:
                check = await asyncio.to_thread(self._check)
            except RetryableError as exc:  # the client already retried: wait a poke interval and ask again
                self.log.warning("%s: check %d failed, trying again: %s", what, checks, exc)
                check = Check(False, reason=f"transient error: {exc}")
            except Exception as exc:
                message = secrets.redact(f"{type(exc).__name__}: {exc}")
                yield TriggerEvent({"status": "error", "message": f"{what}: {message}"})
                return
            if check.matched:
                self.log.info("%s: a record matched at check %d", what, checks)
                yield TriggerEvent({"status": "success", "record": check.record, "checks": checks})
                return
            self.log.info("%s: check %d, %d record(s), none matched (%s)", what, checks, check.seen, check.reason)
            wait = self.poke_interval
            if deadline is not None:
                left = (deadline - dt.datetime.now(dt.UTC)).total_seconds()
                if left <= 0:
                    yield TriggerEvent(
                        {"status": "timeout", "message": f"{what}: no record matched after {checks} check(s)"}
                    )
                    return
                wait = min(wait, left)
            await asyncio.sleep(wait)
