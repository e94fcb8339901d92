"""Events: the inbox — list and filter, show one (payload, headers without secrets, its run, its action-log
entries), replay one, or replay a workflow's failed events received since a time (with a dry run)."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import select

from connectors.registry.inbox import failed_events, requeue_event, requeue_failed_events, unknown_outcome
from connectors.registry.models import ActionLogEntry, Event, EventStatus, Workflow, utcnow
from connectors.runtime.redaction import MASK
from connectors.services.errors import ServiceError
from connectors.services.sessions import SessionFactory
from connectors.services.workflows import found

# header names that may carry a credential: never shown (the receiver does not store them; this is a second guard)
SECRET_HEADER = re.compile(r"sig|hmac|token|secret|key|auth|cookie|passw|credential|session", re.IGNORECASE)
DEFAULT_LIMIT = 50
MAX_LIMIT = 1000


@dataclass(frozen=True)
class WakeResult:
    run_id: str
    woken: bool  # Airflow took the run (or had it already)
    detail: str  # why not, when not


class Waker(Protocol):
    """Asks Airflow for a run of a workflow now (the faces pass one built on Airflow's REST API)."""

    def __call__(self, dag_id: str, event_id: int, note: str) -> WakeResult: ...


@dataclass(frozen=True)
class EventSummary:
    id: int
    workflow_id: int
    dag_id: str
    dedupe_key: str
    status: str
    attempts: int
    received_at: dt.datetime
    dag_run_id: str | None
    error: str | None
    not_before: dt.datetime | None
    unknown_outcome: bool  # the failure may have left a write applied: check the app before replaying


@dataclass(frozen=True)
class StepEntry:
    """One step of the event in the action log: outcome, status code, what was sent (never auth) and what came
    back, or the error."""

    step_key: str
    outcome: str
    attempts: int
    status_code: int | None
    error: str | None
    result: Any
    request: Any
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True)
class EventDetail(EventSummary):
    payload: Any = None  # the parsed JSON body (the raw text when it is not JSON)
    headers: dict[str, str] = field(default_factory=dict)
    steps: list[StepEntry] = field(default_factory=list)


def _summary(event: Event, workflow: Workflow) -> EventSummary:
    return EventSummary(
        id=event.id,
        workflow_id=event.workflow_id,
        dag_id=workflow.dag_id,
        dedupe_key=event.dedupe_key,
        status=event.status.value,
        attempts=event.attempts,
        received_at=event.received_at,
        dag_run_id=event.dag_run_id,
        error=event.error,
        not_before=event.not_before,
        unknown_outcome=event.status == EventStatus.FAILED and unknown_outcome(event.error),
    )


def safe_headers(headers: dict[str, Any] | None) -> dict[str, str]:
    """The stored headers with any that could carry a credential masked."""
    return {name: MASK if SECRET_HEADER.search(name) else str(value) for name, value in (headers or {}).items()}


def _payload(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


def list_events(
    sessions: SessionFactory,
    workflow: str | None = None,
    status: str | None = None,
    dag_run_id: str | None = None,
    since: dt.datetime | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[EventSummary]:
    """Newest first; each filter optional: a workflow (id, dag_id or client/key), a status, a DAG run, received
    since a time."""
    if status is not None and status not in {s.value for s in EventStatus}:
        raise ServiceError(f"unknown status {status!r} (one of {', '.join(s.value for s in EventStatus)})")
    if not 0 < limit <= MAX_LIMIT:
        raise ServiceError(f"limit must be between 1 and {MAX_LIMIT}")
    with sessions() as session:
        query = select(Event, Workflow).join(Workflow, Event.workflow_id == Workflow.id).order_by(Event.id.desc())
        if workflow:
            query = query.where(Event.workflow_id == found(session, workflow).id)
        if status:
            query = query.where(Event.status == EventStatus(status))
        if dag_run_id:
            query = query.where(Event.dag_run_id == dag_run_id)
        if since is not None:
            query = query.where(Event.received_at >= since)
        return [_summary(event, row) for event, row in session.execute(query.limit(limit))]


def show_event(sessions: SessionFactory, event_id: int) -> EventDetail:
    with sessions() as session:
        event = session.get(Event, event_id)
        if event is None:
            raise ServiceError(f"no event {event_id}", "not_found")
        workflow = session.get_one(Workflow, event.workflow_id)
        steps = session.scalars(
            select(ActionLogEntry)
            .where(ActionLogEntry.workflow_id == event.workflow_id, ActionLogEntry.dedupe_key == event.dedupe_key)
            .order_by(ActionLogEntry.id)
        ).all()
        return EventDetail(
            **vars(_summary(event, workflow)),
            payload=_payload(event.payload),
            headers=safe_headers(event.headers),
            steps=[
                StepEntry(
                    step.step_key,
                    step.outcome.value,
                    step.attempts,
                    step.status_code,
                    step.error,
                    step.result,
                    step.request,
                    step.created_at,
                    step.updated_at,
                )  # fmt: skip
                for step in steps
            ],
        )


# -- replay ------------------------------------------------------------------------------------------------------


def received_since(text: str, now: dt.datetime | None = None) -> dt.datetime:
    """An ISO time (UTC unless it names an offset) or a duration before now (`90m`, `2h`, `1d12h`)."""
    duration = _DURATION.fullmatch(text.strip())
    if duration and any(duration.groups()):
        days, hours, minutes, seconds = (int(part or 0) for part in duration.groups())
        ago = dt.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
        return (now or utcnow()) - ago
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ServiceError(
            f"invalid --since {text!r}: give an ISO time (2026-11-30T08:00, UTC unless it has an offset) or a "
            "duration (30m, 2h, 1d)"
        ) from None
    return moment.astimezone(dt.UTC) if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


@dataclass(frozen=True)
class ReplayResult:
    """One event back in its workflow's queue; a webhook workflow is woken now (a polling one's next scheduled run
    takes it)."""

    event_id: int
    dag_id: str
    polling: bool
    warnings: list[str]
    wake: WakeResult | None  # None for a polling workflow


def replay_event(sessions: SessionFactory, event_id: int, wake: Waker) -> ReplayResult:
    """Steps already done are not sent again; an event a run holds now is refused (conflict)."""
    warnings = []
    with sessions() as session:
        known = session.get(Event, event_id)
        if known is None:
            raise ServiceError(f"no event {event_id}", "not_found")
        if unknown_outcome(known.error):
            warnings.append(f"warning: event {event_id} failed with its outcome unknown ({known.error}): a write "
                            "not found by a search is sent again")  # fmt: skip
        try:
            event = requeue_event(session, event_id)
        except LookupError as exc:
            raise ServiceError(str(exc), "conflict", warnings=warnings) from None
        workflow = session.get_one(Workflow, event.workflow_id)
        dag_id, polling = workflow.dag_id, bool(workflow.schedule)
    if polling:  # committed first: the run must find the event waiting
        return ReplayResult(event_id, dag_id, True, warnings, None)
    return ReplayResult(event_id, dag_id, False, warnings, wake(dag_id, event_id, f"replay of event {event_id}"))


@dataclass(frozen=True)
class BulkReplayResult:
    """A workflow's failed events received since a time: those taken back into the queue (or, in a dry run, that
    would be), and those left out because their write may have been applied."""

    workflow_id: int
    dag_id: str
    polling: bool
    since: dt.datetime
    dry_run: bool
    include_unknown_outcomes: bool
    failed: list[EventSummary]  # every failed event in the window
    unknown: list[int]  # ids of those whose outcome is unknown
    replayed: list[int]  # ids put back in the queue (a dry run: those it would put back)
    wake: WakeResult | None = None

    @property
    def window(self) -> str:
        return f"received since {self.since:%Y-%m-%d %H:%M:%S %Z}"

    @property
    def left_out(self) -> list[int]:
        return [] if self.include_unknown_outcomes else self.unknown


def replay_failed_events(
    sessions: SessionFactory,
    workflow: str,
    since: dt.datetime,
    wake: Waker,
    dry_run: bool = False,
    include_unknown_outcomes: bool = False,
) -> BulkReplayResult:
    """Every failed event of the workflow received since `since`, back in the queue at once; one run drains them.
    Events whose outcome is unknown stay failed unless `include_unknown_outcomes`. Done and running events are
    never touched."""
    with sessions() as session:
        row = found(session, workflow)
        workflow_id, dag_id, polling = row.id, row.dag_id, bool(row.schedule)
        failed = [_summary(event, row) for event in failed_events(session, row.id, since)]
        unknown = [event.id for event in failed if event.unknown_outcome]
        if dry_run:
            replayed = [e.id for e in failed if include_unknown_outcomes or e.id not in unknown]
        else:
            replayed = requeue_failed_events(session, row.id, since, include_unknown_outcomes)
    result = BulkReplayResult(
        workflow_id, dag_id, polling, since, dry_run, include_unknown_outcomes, failed, unknown, replayed
    )
    if dry_run or not replayed or polling:
        return result
    woken = wake(dag_id, replayed[0], f"replay of {len(replayed)} failed event(s)")
    return BulkReplayResult(**{**vars(result), "wake": woken})
