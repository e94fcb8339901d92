"""Draining a workflow's events: claim a batch under a lease, take each event through conditions and steps on its
own, record how it ended, claim the next batch. One engine for webhook and polling workflows, Airflow-free: the
operator passes the run id and a way to build clients.

Per event: conditions fail → `filtered`; steps succeed → `done`; a permanent error (4xx, template, configuration,
a required search that finds nothing) → `failed` with the reason, the other events go on; a retryable error
(5xx, 429, timeouts after the call's own retries) → back to the queue with exponential backoff, and the rest of
the batch is given back untried: the app is down, so the drain stops instead of failing every event in turn.
Steps already done for an event (the action log) are never sent again, across batches, retries and replays.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from connectors.registry.circuits import ConnectionKey
from connectors.registry.dag_ids import dag_id_for
from connectors.registry.db import get_engine, session_scope
from connectors.registry.drains import beat, finish_drain, start_drain
from connectors.registry.inbox import (
    ClaimedEvent,
    EventOutcome,
    claim_events,
    extend_lease,
    finish_events,
    park_workflow,
    release_events,
    take_over_run,
    waiting_count,
)
from connectors.registry.models import EventStatus, Workflow, utcnow
from connectors.runtime.conditions import evaluate_conditions
from connectors.runtime.errors import HttpError, IntegrationError, OutcomeUnknownError
from connectors.runtime.http.client import AppClient
from connectors.runtime.log_context import log_fields
from connectors.runtime.personal_data import mask_personal, masking_personal, personal_values
from connectors.runtime.redaction import install_log_redaction
from connectors.runtime.templating import TemplateError
from connectors.spec import AppDefinitionError, Catalog
from connectors.workflows.bulk_steps import BulkBatch, PushTotals, bulk_action_of, push_batch
from connectors.workflows.circuit_breaker import BatchBreakers, step_connections
from connectors.workflows.engine import ClientFactory, run_steps
from connectors.workflows.spec import WorkflowSpec
from connectors.workflows.store import workflow_spec

log = logging.getLogger(__name__)

XCOM_IDS = 1000  # event ids per outcome in the task's return value
HEARTBEAT_SECONDS = 5.0  # the dispatcher takes a run silent for a minute as gone (`drains.drain_states`)


@dataclass(frozen=True)
class DrainSettings:
    batch_size: int = 100
    lease: dt.timedelta = dt.timedelta(minutes=5)
    max_attempts: int = 10  # claims of one event before it fails for good: about 2 h of backoff in an outage
    retry_initial_seconds: float = 30.0
    retry_max_seconds: float = 1800.0
    time_budget_seconds: float = 600.0  # a run stops claiming after this; the next run takes what is left
    reconcile: bool = False  # bulk steps push every item, even those whose values were pushed before
    retried: bool = False  # a later try of the run's task: the events the earlier try held are taken over

    def backoff(self, attempts: int, retry_after: float | None = None) -> dt.timedelta:
        seconds = min(self.retry_max_seconds, self.retry_initial_seconds * 2 ** max(0, attempts - 1))
        return dt.timedelta(seconds=max(seconds, retry_after or 0.0))


@dataclass
class DrainSummary:
    dag_run_id: str
    revision: int | None = None
    done: list[int] = field(default_factory=list)
    filtered: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    retrying: dict[int, str] = field(default_factory=dict)
    released: list[int] = field(default_factory=list)
    batches: int = 0
    pushed: PushTotals = field(default_factory=PushTotals)

    def add(self, outcome: EventOutcome) -> None:
        """Count an outcome; its reason as the task log and XCom may show it (personal data masked)."""
        reason = mask_personal(outcome.error or "")
        if outcome.status == EventStatus.DONE:
            self.done.append(outcome.event_id)
        elif outcome.status == EventStatus.FILTERED:
            self.filtered.append(outcome.event_id)
        elif outcome.status == EventStatus.FAILED:
            self.failed[outcome.event_id] = reason
        else:
            self.retrying[outcome.event_id] = reason

    def counts(self) -> dict[str, int]:
        return {
            "batches": self.batches,
            "done": len(self.done),
            "filtered": len(self.filtered),
            "failed": len(self.failed),
            "retrying": len(self.retrying),
            "released": len(self.released),
        }

    def as_dict(self) -> dict[str, Any]:
        """The run's events by outcome (the task's return value: from a run, its events), at most `XCOM_IDS` of
        each: a bulk sync ends 100,000 events, which `integrations events list --run` shows; the counts are
        complete."""
        return {
            "revision": self.revision,
            "counts": self.counts(),
            "done": self.done[:XCOM_IDS],
            "filtered": self.filtered[:XCOM_IDS],
            "failed": {str(k): v for k, v in list(self.failed.items())[:XCOM_IDS]},
            "retrying": {str(k): v for k, v in list(self.retrying.items())[:XCOM_IDS]},
            "released": self.released[:XCOM_IDS],
        }


def caching(clients: ClientFactory) -> ClientFactory:
    """One client per (app version, connection) for the whole drain: its token, rate budget and session are
    reused by every event."""
    built: dict[tuple[str, str], AppClient] = {}

    def client(app_ref: str, conn_id: str) -> AppClient:
        if (app_ref, conn_id) not in built:
            built[(app_ref, conn_id)] = clients(app_ref, conn_id)
        return built[(app_ref, conn_id)]

    return client


@dataclass(frozen=True)
class Processed:
    """How one event ended; the (app, connection) that failed after its retries (the app looks down), or whether
    the apps answered (the steps went through, or an app refused with a status)."""

    outcome: EventOutcome
    unavailable: ConnectionKey | None = None
    answered: bool = False


def admit(spec: WorkflowSpec, event: ClaimedEvent, settings: DrainSettings) -> tuple[Any, EventOutcome | None]:
    """The event's data, or how it ended before any step: claimed too often, not JSON, or filtered out."""
    if event.attempts > settings.max_attempts:
        reason = f"claimed {event.attempts - 1} times without finishing (the runs holding it stopped)"
        return None, EventOutcome(event.id, EventStatus.FAILED, reason)
    try:
        data = json.loads(event.payload)
    except ValueError as exc:
        return None, EventOutcome(event.id, EventStatus.FAILED, f"payload is not JSON: {exc}")
    passed, reason = evaluate_conditions(spec.conditions, data)
    if not passed:
        return None, EventOutcome(event.id, EventStatus.FILTERED, reason)
    return data, None


def process_event(
    spec: WorkflowSpec, workflow_id: int, event: ClaimedEvent, clients: ClientFactory, settings: DrainSettings
) -> Processed:
    """Conditions and steps for one event, and how it ended. Registry errors are not the event's fault: they
    propagate, the run fails, and the lease gives the event to a later run."""
    data, ended = admit(spec, event, settings)
    if ended is not None:
        return Processed(ended)
    try:
        run_steps(spec, workflow_id, event.dedupe_key, data, clients)
    except SQLAlchemyError:
        raise
    except IntegrationError as exc:
        error = f"{type(exc).__name__}: {exc}"
        failing = step_connections(spec).get(exc.step_key or "")
        if isinstance(exc, OutcomeUnknownError):  # failed for good (not sent again), and the app is failing
            return Processed(EventOutcome(event.id, EventStatus.FAILED, error), failing)
        if not exc.retryable:
            answered = isinstance(exc, HttpError) and exc.status is not None
            return Processed(EventOutcome(event.id, EventStatus.FAILED, error), answered=answered)
        if event.attempts >= settings.max_attempts:
            reason = f"gave up after {event.attempts} attempts: {error}"
            return Processed(EventOutcome(event.id, EventStatus.FAILED, reason), failing)
        wait = settings.backoff(event.attempts, getattr(exc, "retry_after", None))
        return Processed(EventOutcome(event.id, EventStatus.RECEIVED, error, not_before=utcnow() + wait), failing)
    except TemplateError as exc:
        return Processed(EventOutcome(event.id, EventStatus.FAILED, f"TemplateError: {exc}"))
    except Exception as exc:  # a bug or an unexpected answer: keep the reason, replay once fixed
        log.exception("event %s: unexpected error", event.id)
        return Processed(EventOutcome(event.id, EventStatus.FAILED, f"{type(exc).__name__}: {exc}"))
    return Processed(EventOutcome(event.id, EventStatus.DONE), answered=True)


def load_spec(workflow_id: int, url: str | None) -> tuple[WorkflowSpec, int] | None:
    with session_scope(url) as session:
        row = session.get(Workflow, workflow_id)
        return None if row is None else (workflow_spec(row), row.revision)


def drain_workflow(
    workflow_id: int,
    dag_run_id: str,
    clients: ClientFactory,
    settings: DrainSettings | None = None,
    url: str | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> DrainSummary:
    """Claim and process the workflow's events, batch after batch, until none is left, the time budget is spent,
    or the app is down. Each batch runs the workflow's revision current when it was claimed."""
    install_log_redaction()  # secrets and personal data masked in every log line, also before any client exists
    settings = settings or DrainSettings()
    engine = get_engine(url)
    summary = DrainSummary(dag_run_id)
    loaded = load_spec(workflow_id, url)
    if loaded is None:
        log.warning("workflow %s no longer exists: nothing to drain", workflow_id)
        return summary
    summary.revision = loaded[1]
    bulk = bulk_action_of(loaded[0], _catalog())
    if bulk is not None and bulk.bulk is not None:  # claim enough events to fill a few requests
        settings = replace(settings, batch_size=max(settings.batch_size, 4 * bulk.bulk.max_items))
    with engine.begin() as connection:
        if settings.retried:
            taken = take_over_run(connection, dag_run_id)
            if taken:
                log.warning("%d event(s) the earlier try of this run held are claimable again", taken)
        start_drain(connection, dag_run_id, workflow_id, summary.revision)
    clients = caching(clients)
    started = clock()
    with Keepalive(engine, dag_run_id, settings.lease):
        _drain(engine, workflow_id, dag_run_id, clients, settings, url, summary, clock, started)
    with engine.begin() as connection:
        finish_drain(connection, dag_run_id, summary.counts())
    log.info("drained: %s", summary.counts())
    return summary


def _drain(
    engine: Engine,
    workflow_id: int,
    dag_run_id: str,
    clients: ClientFactory,
    settings: DrainSettings,
    url: str | None,
    summary: DrainSummary,
    clock: Callable[[], float],
    started: float,
) -> None:
    while clock() - started < settings.time_budget_seconds:
        batch = _claim(engine, workflow_id, dag_run_id, settings)
        if not batch:
            break
        loaded = load_spec(workflow_id, url)
        if loaded is None:
            log.warning("workflow %s was deleted while draining", workflow_id)
            break
        spec, summary.revision = loaded
        summary.batches += 1
        log.info("batch %d: %d events claimed (revision %s)", summary.batches, len(batch), summary.revision)
        if not _process_batch(engine, spec, workflow_id, dag_run_id, batch, clients, settings, summary, clock):
            break


class Keepalive:
    """While the run works, every few seconds in a thread of its own: the leases of the events it holds are
    extended and its `drains` row beats. So an event whose calls take minutes (retries, Retry-After, the rate
    budget) is never taken by another run while it is in flight, and the dispatcher does not take the run for
    dead; a killed run stops beating, and its leases end."""

    def __init__(self, engine: Engine, dag_run_id: str, lease: dt.timedelta) -> None:
        self.engine, self.dag_run_id, self.lease = engine, dag_run_id, lease
        self.interval = min(HEARTBEAT_SECONDS, lease.total_seconds() / 4)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="drain-keepalive", daemon=True)

    def __enter__(self) -> Keepalive:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                with self.engine.begin() as connection:
                    extend_lease(connection, self.dag_run_id, self.lease)
                    beat(connection, self.dag_run_id)
            except Exception:  # the registry blinked: the next beat tries again, well within the lease
                log.warning("could not extend the leases of run %s", self.dag_run_id, exc_info=True)


def _claim(engine: Engine, workflow_id: int, dag_run_id: str, settings: DrainSettings) -> list[ClaimedEvent]:
    """The next batch. Before giving up on an empty queue the run says it is finishing, then looks once more: an
    event the dispatcher saw this run as not finished for is stored before that second look, so it is taken."""
    with engine.begin() as connection:
        batch = claim_events(connection, workflow_id, dag_run_id, settings.batch_size, settings.lease)
        beat(connection, dag_run_id, finishing=not batch)
    if batch:
        return batch
    with engine.begin() as connection:
        batch = claim_events(connection, workflow_id, dag_run_id, settings.batch_size, settings.lease)
        if batch:
            beat(connection, dag_run_id, finishing=False)
    return batch


def _process_batch(
    engine: Engine,
    spec: WorkflowSpec,
    workflow_id: int,
    dag_run_id: str,
    batch: Sequence[ClaimedEvent],
    clients: ClientFactory,
    settings: DrainSettings,
    summary: DrainSummary,
    clock: Callable[[], float],
) -> bool:
    """Process one claimed batch; False when an app is down (the workflow's waiting events were parked)."""
    breakers = BatchBreakers(engine, spec, settings.backoff, settings.lease)
    blocked = breakers.blocked()
    if blocked is not None:
        until, why = blocked
        _give_back(engine, workflow_id, dag_run_id, batch, until, f"not tried: {why}", summary)
        return False
    if bulk_action_of(spec, _catalog()) is not None:
        return _process_bulk(engine, spec, workflow_id, dag_run_id, batch, clients, settings, summary, breakers)
    workflow, personal = dag_id_for(spec.client, spec.key), sensitive_fields(spec)
    for index, event in enumerate(batch):
        with log_fields(workflow=workflow, event=event.id), masking_personal(_personal_values(event, personal)):
            outcome, wait_until = _process_one(engine, spec, workflow_id, dag_run_id, event, clients, settings,
                                               clock, breakers)  # fmt: skip
            summary.add(outcome)
        if wait_until is not None:
            reason = f"not tried: the app failed on event {event.id} ({mask_personal(outcome.error or '')})"
            _give_back(engine, workflow_id, dag_run_id, batch[index + 1 :], wait_until, reason, summary)
            return False
    return True


def _process_one(
    engine: Engine,
    spec: WorkflowSpec,
    workflow_id: int,
    dag_run_id: str,
    event: ClaimedEvent,
    clients: ClientFactory,
    settings: DrainSettings,
    clock: Callable[[], float],
    breakers: BatchBreakers,
) -> tuple[EventOutcome, dt.datetime | None]:
    """One event through conditions and steps, its outcome recorded; with until when the rest must wait when an
    app failed (its breaker tripped)."""
    began = clock()
    processed = process_event(spec, workflow_id, event, clients, settings)
    outcome, wait_until = processed.outcome, None
    if processed.unavailable is not None:
        wait_until = breakers.unavailable(processed.unavailable, outcome.error or "", outcome.not_before)
        if outcome.status == EventStatus.RECEIVED:
            outcome = replace(outcome, not_before=wait_until)
    elif processed.answered:
        breakers.answered()
    with engine.begin() as connection:
        if not finish_events(connection, [outcome], dag_run_id):
            log.warning("event %s: its lease was lost to another run; this run's outcome is not recorded", event.id)
    elapsed_ms = (clock() - began) * 1000
    log.info("event %s (%s): %s in %.0f ms%s", event.id, event.dedupe_key, outcome.status.value, elapsed_ms,
             f": {outcome.error}" if outcome.error else "")  # fmt: skip
    return outcome, wait_until


def _process_bulk(
    engine: Engine,
    spec: WorkflowSpec,
    workflow_id: int,
    dag_run_id: str,
    batch: Sequence[ClaimedEvent],
    clients: ClientFactory,
    settings: DrainSettings,
    summary: DrainSummary,
    breakers: BatchBreakers,
) -> bool:
    """A batch whose step is a bulk action (`connectors.workflows.bulk_steps`): conditions per event, then the
    items pushed many per request. False when the app is down (the rest was given back)."""
    personal = sensitive_fields(spec)
    masked = set().union(*(_personal_values(event, personal) for event in batch)) if personal else set()
    with log_fields(workflow=dag_id_for(spec.client, spec.key)), masking_personal(masked):
        ready, ended = [], []
        for event in batch:
            data, outcome = admit(spec, event, settings)
            if outcome is None:
                ready.append((event, data))
            else:
                ended.append(outcome)
        with engine.begin() as connection:
            finish_events(connection, ended, dag_run_id)
        for outcome in ended:
            summary.add(outcome)
        run = BulkBatch(engine, spec, workflow_id, dag_run_id, clients, breakers, settings.backoff,
                        settings.max_attempts, settings.reconcile, summary.add, summary.pushed)  # fmt: skip
        give_back = push_batch(run, ready)
        if give_back is not None:
            _give_back(engine, workflow_id, dag_run_id, give_back.events, give_back.until, give_back.reason, summary)
            return False
        with engine.connect() as connection:
            remaining = waiting_count(connection, workflow_id)
        _log_progress(summary.pushed, remaining)
    return True


def _log_progress(totals: PushTotals, remaining: int) -> None:
    """Where a long sync is: what this run did, what waits, and when it ends at the rate seen so far."""
    elapsed = time.monotonic() - totals.started
    done = totals.pushed + totals.unchanged + totals.failed
    rate = done / elapsed if elapsed > 0 else 0.0
    eta = f"{remaining / rate:.0f} s" if rate > 0 else "unknown"
    log.info("progress: %d pushed, %d unchanged, %d failed, %d remaining; %.0f items/s, about %s left",
             totals.pushed, totals.unchanged, totals.failed, remaining, rate, eta)  # fmt: skip


@cache
def _catalog() -> Catalog:
    """The app versions this task's workflow uses, read when first asked for (not the whole catalog)."""
    return Catalog.on_demand()


def sensitive_fields(spec: WorkflowSpec) -> frozenset[str]:
    """The trigger output fields the app marks as personal data."""
    try:
        trigger = _catalog().get(spec.trigger.app).triggers[spec.trigger.key]
    except (KeyError, AppDefinitionError):  # an app no longer in the catalog: its steps fail with the reason
        return frozenset()
    return frozenset(name for name, field in (trigger.output or {}).items() if field.sensitive)


def _personal_values(event: ClaimedEvent, fields: frozenset[str]) -> set[str]:
    if not fields:
        return set()
    try:
        return personal_values(json.loads(event.payload), fields)
    except ValueError:
        return set()


def _give_back(
    engine: Engine,
    workflow_id: int,
    dag_run_id: str,
    events: Sequence[ClaimedEvent],
    not_before: dt.datetime,
    reason: str,
    summary: DrainSummary,
) -> None:
    """An app is down: the claimed events go back untried and every waiting event of the workflow is parked."""
    rest = [e.id for e in events]
    with engine.begin() as connection:
        release_events(connection, dag_run_id, rest, not_before, reason)
        parked = park_workflow(connection, workflow_id, not_before)
    summary.released.extend(rest)
    log.warning("app unavailable: %d events given back, %d more of the workflow parked, until %s",
                len(rest), parked, not_before)  # fmt: skip
