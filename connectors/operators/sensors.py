"""`AppTriggerSensor`: wait until an app's search, or one of its polling triggers, returns a record matching
conditions written as in workflows (`{all: [...], any: [...]}` of `{field, operator, value}`).

    wait = AppTriggerSensor(
        task_id="wait_delivered",
        app="delhivery@1.0.0",
        conn_id="demo_delhivery",
        search="track_shipment",
        inputs={"waybill": "{{ params.awb }}"},
        conditions={"all": [{"field": "Shipment.Status.Status", "operator": "equals", "value": "Delivered"}]},
        poke_interval=300,
        timeout=3 * 24 * 3600,
    )

Deferrable by default: `execute` checks once on the worker, then defers to `AppRecordTrigger`, which checks every
`poke_interval` in the triggerer and frees the worker slot. With `deferrable=False` it is an ordinary sensor:
`mode="reschedule"` (the fallback when no triggerer runs) or `mode="poke"`. The matched record (its declared
output fields when the search or trigger declares `output`) is the task's XCom return value.

Light to import: the app engine is imported when the task runs, not when its DAG is parsed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator, Context, timezone
from airflow.sdk.bases.sensor import PokeReturnValue
from airflow.sdk.exceptions import AirflowFailException, AirflowSensorTimeout, AirflowSkipException

from connectors.operators.triggers import AppRecordTrigger, Check, as_instant, check_once

if TYPE_CHECKING:
    from connectors.runtime.http.client import AppClient


class AppTriggerSensor(BaseSensorOperator):
    """Waits for an app record matching `conditions`.

    :param app: the app version, `app@version` (e.g. `delhivery@1.0.0`).
    :param conn_id: the Airflow connection of that app (templated).
    :param search: a search of the app; `inputs` are its inputs. Give this or `trigger`.
    :param trigger: a polling trigger of the app, read over [since, now) at each check; `inputs` are its
        parameters.
    :param inputs: search inputs or trigger parameters (templated).
    :param since: start of a polling trigger's window: a datetime or ISO-8601 text (templated); the run's
        `data_interval_start` (else its `run_after`) when not given.
    :param conditions: `{"all": [...], "any": [...]}` of `{"field", "operator", "value"}` on one record (templated);
        none: the first record found.
    :param deferrable: defer to the triggerer (default). False: `poke`/`reschedule` on a worker per `mode`.
    :param poke_interval: seconds between checks; `timeout`: seconds before the sensor fails (skips with
        `soft_fail`), counted from the first check in every mode.
    """

    template_fields: Sequence[str] = ("conn_id", "inputs", "since", "conditions")
    template_fields_renderers = {"inputs": "json", "conditions": "json"}
    ui_color = "#e6f1f2"

    def __init__(
        self,
        *,
        app: str,
        conn_id: str,
        search: str | None = None,
        trigger: str | None = None,
        inputs: dict[str, Any] | None = None,
        since: str | dt.datetime | None = None,
        conditions: dict[str, Any] | None = None,
        deferrable: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if (search is None) == (trigger is None):
            raise ValueError("AppTriggerSensor needs exactly one of 'search' and 'trigger'")
        from connectors.spec.conditions import ConditionsSpec

        ConditionsSpec.model_validate(conditions or {})  # a misspelt operator fails when the DAG is parsed
        self.app, self.conn_id, self.search, self.trigger = app, conn_id, search, trigger
        self.inputs, self.since, self.conditions = dict(inputs or {}), since, dict(conditions or {})
        self.deferrable = deferrable
        self._client: AppClient | None = None

    # -- one check, shared by poke and the first look of a deferrable run -----------------------------------

    def _since(self, context: Context) -> dt.datetime | None:
        if self.trigger is None:
            return None
        if self.since:
            return as_instant(self.since)
        start = context.get("data_interval_start") or context["dag_run"].run_after
        return as_instant(start)

    def check(self, context: Context) -> Check:
        """Ask the app once. A refusal for good (configuration, permanent 4xx, credentials) fails without retry
        (skips with `soft_fail`); a transient failure counts as not matched yet."""
        from connectors.runtime.errors import IntegrationError, RetryableError
        from connectors.runtime.redaction import secrets

        try:
            if self._client is None:
                from connectors.hooks.app import AppHook

                self._client = AppHook(self.app, self.conn_id).get_client()
            found = check_once(
                self._client,
                search=self.search,
                trigger=self.trigger,
                inputs=self.inputs,
                conditions=self.conditions,
                since=self._since(context),
            )
        except RetryableError as exc:
            self.log.warning("transient failure, checking again later: %s", exc)
            return Check(False, reason=f"transient error: {exc}")
        except (IntegrationError, KeyError, ValueError) as exc:  # a refusal, an unknown search, bad conditions
            raise AirflowFailException(secrets.redact(f"{type(exc).__name__}: {exc}")) from exc
        if not found.matched:
            self.log.info("%d record(s), none matched: %s", found.seen, found.reason)
        return found

    def poke(self, context: Context) -> bool | PokeReturnValue:
        found = self.check(context)
        return PokeReturnValue(True, found.record) if found.matched else False

    # -- deferrable path -------------------------------------------------------------------------------------

    def execute(self, context: Context) -> Any:
        if not self.deferrable:
            return super().execute(context)
        try:
            found = self.check(context)
        except AirflowFailException as exc:
            if self.soft_fail:
                raise AirflowSkipException(f"Skipping due to soft_fail: {exc}") from exc
            raise
        if found.matched:
            self.log.info("Success criteria met at the first check.")
            return found.record
        since = self._since(context)
        deadline = timezone.utcnow() + dt.timedelta(seconds=self.timeout)
        self.defer(
            trigger=AppRecordTrigger(
                app=self.app,
                conn_id=self.conn_id,
                search=self.search,
                trigger=self.trigger,
                inputs=self.inputs,
                conditions=self.conditions,
                since=since.isoformat() if since else None,
                poke_interval=self.poke_interval,
                deadline=deadline.isoformat(),
            ),
            method_name="execute_complete",
            timeout=dt.timedelta(seconds=self.timeout),
        )

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> Any:
        """Resumed by the trigger's event. A timeout or an error raised here is turned into a skip by
        `BaseSensorOperator.resume_execution` when `soft_fail` is set (as is the scheduler's own deferral
        timeout)."""
        event = event or {"status": "error", "message": "the trigger fired no event"}
        status = event.get("status")
        if status == "success":
            self.log.info("Success criteria met after %s check(s) in the triggerer.", event.get("checks"))
            return event.get("record")
        if status == "timeout":
            raise AirflowSensorTimeout(f"Sensor has timed out: {event.get('message', '')}")
        raise AirflowFailException(str(event.get("message") or event))
