"""The events inbox as a queue: store before acknowledging (deduped per workflow), claim under a lease, finish.

Every change of an event's status goes through this module:

    store_events ──▶ received ──claim_events──▶ running ──finish_events──▶ done | filtered | failed
                        ▲                          │
                        └── retry (not_before) ◀───┤  a retryable failure, or `release_events` in an outage
                        └── lease ended ◀──────────┘  the run died: the next claim takes it again

A claim takes the oldest claimable events of one workflow (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so runs of the
same workflow never claim the same event) and counts an attempt; an event claimed `max_attempts` times without
finishing fails with the reason.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, not_, or_, select, tuple_, update
from sqlalchemy.orm import Session

from connectors.registry.db import insert_for
from connectors.registry.models import Event, EventStatus, Workflow, utcnow

FINAL = (EventStatus.DONE, EventStatus.FILTERED, EventStatus.FAILED)
_e = Event.__table__.c


@dataclass(frozen=True)
class NewEvent:
    workflow_id: int
    dedupe_key: str
    payload: bytes
    headers: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StoredEvent:
    workflow_id: int
    event_id: int
    new: bool


@dataclass(frozen=True)
class ClaimedEvent:
    id: int
    dedupe_key: str
    payload: bytes
    attempts: int


@dataclass(frozen=True)
class EventOutcome:
    """How one claimed event ended: a final status, or `received` again from `not_before` (retry)."""

    event_id: int
    status: EventStatus
    error: str | None = None
    not_before: dt.datetime | None = None


# -- storing -----------------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _insert_ignoring_duplicates(dialect: str) -> Any:
    return (
        insert_for(dialect)(Event)
        .on_conflict_do_nothing(index_elements=["workflow_id", "dedupe_key"])
        .returning(Event.id, Event.workflow_id, Event.dedupe_key)
    )


def _new_rows(events: Iterable[NewEvent], now: dt.datetime) -> list[dict[str, Any]]:
    """Rows of the events table for events just received."""
    return [
        {"workflow_id": e.workflow_id, "dedupe_key": e.dedupe_key, "payload": e.payload, "headers": e.headers,
         "status": EventStatus.RECEIVED, "attempts": 0, "received_at": now, "updated_at": now}
        for e in events
    ]  # fmt: skip


def store_events(connection: Connection, events: Sequence[NewEvent]) -> list[StoredEvent]:
    """Insert each event unless (workflow, dedupe key) exists; a second delivery returns the first event's id.

    One multi-row `INSERT .. ON CONFLICT DO NOTHING RETURNING` for all the events, then one SELECT for the ones
    that existed already: a couple of round trips per batch, whatever its size."""
    if not events:
        return []
    rows = _new_rows(events, utcnow())
    statement = _insert_ignoring_duplicates(connection.dialect.name)
    inserted = {(wf, key): event_id for event_id, wf, key in connection.execute(statement, rows)}
    missing = {(e.workflow_id, e.dedupe_key) for e in events} - inserted.keys()
    existing: dict[tuple[int, str], int] = {}
    if missing:
        query = select(_e.id, _e.workflow_id, _e.dedupe_key).where(
            tuple_(_e.workflow_id, _e.dedupe_key).in_(sorted(missing))
        )
        existing = {(wf, key): event_id for event_id, wf, key in connection.execute(query)}
    stored, seen = [], set()
    for event in events:
        pair = (event.workflow_id, event.dedupe_key)
        new = pair in inserted and pair not in seen  # a key twice in one batch: the second is a duplicate
        seen.add(pair)
        stored.append(StoredEvent(event.workflow_id, inserted[pair] if pair in inserted else existing[pair], new))
    return stored


CHUNK = 5_000
"""Rows per statement when storing or finishing many events, and keys per `IN (...)` list: a window of 100,000
polled records is a few dozen statements, none with a parameter list PostgreSQL or SQLite refuses."""


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    return (items[start : start + size] for start in range(0, len(items), size))


def store_pending_events(connection: Connection, events: Sequence[NewEvent]) -> dict[tuple[int, str], int]:
    """Store events as `store_events` does (a key seen already keeps its first event) and return what still needs
    work: (workflow id, dedupe key) -> event id of each event that is not final (stored now, or stored earlier and
    still waiting or running). Made for large batches (a polled window of 100,000 records): on PostgreSQL
    (psycopg2) the events are copied into a temporary table (COPY), inserted from it in one statement and the
    pending ones found by a join with it; elsewhere the INSERTs go `CHUNK` rows at a time and return the new
    events' ids, and only the keys stored earlier are looked up, `CHUNK` keys a query."""
    unique: dict[tuple[int, str], NewEvent] = {}
    for event in events:
        unique.setdefault((event.workflow_id, event.dedupe_key), event)
    firsts = list(unique.values())
    if not firsts:
        return {}
    if connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg2":
        return _store_pending_copying(connection, firsts)
    statement = _insert_ignoring_duplicates(connection.dialect.name)
    pending: dict[tuple[int, str], int] = {}
    for chunk in _chunks(firsts):
        rows = _new_rows(chunk, utcnow())
        pending.update(((wf, key), event_id) for event_id, wf, key in connection.execute(statement, rows))
    earlier: dict[int, list[str]] = {}
    for e in firsts:
        if (e.workflow_id, e.dedupe_key) not in pending:
            earlier.setdefault(e.workflow_id, []).append(e.dedupe_key)
    for workflow_id, keys in earlier.items():
        for chunk in _chunks(keys):
            query = select(_e.dedupe_key, _e.id).where(
                _e.workflow_id == workflow_id, _e.dedupe_key.in_(chunk), _e.status.not_in(FINAL)
            )
            pending.update(((workflow_id, key), event_id) for key, event_id in connection.execute(query))
    return pending


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: str) -> str:
    """A value in COPY's text format (dedupe keys hold no NUL: `storable_key`)."""
    return value.translate(_COPY_ESCAPES)


def _store_pending_copying(connection: Connection, events: Sequence[NewEvent]) -> dict[tuple[int, str], int]:
    import io
    import json

    final = ", ".join(f"'{status.value}'" for status in FINAL)
    connection.exec_driver_sql(
        "DROP TABLE IF EXISTS pg_temp.incoming_events; CREATE TEMPORARY TABLE incoming_events "
        "(position serial, workflow_id integer, dedupe_key varchar(250), payload bytea, headers text) ON COMMIT DROP"
    )
    lines = io.StringIO()
    lines.writelines(
        f"{e.workflow_id}\t{_copy_text(e.dedupe_key)}\t\\\\x{e.payload.hex()}\t"
        f"{_copy_text(json.dumps(e.headers)) if e.headers else '{}'}\n"
        for e in events
    )
    lines.seek(0)
    connection.connection.cursor().copy_expert(
        "COPY incoming_events (workflow_id, dedupe_key, payload, headers) FROM STDIN", lines
    )
    now = utcnow()
    connection.exec_driver_sql(
        "INSERT INTO events (workflow_id, dedupe_key, payload, headers, status, attempts, received_at, updated_at) "
        "SELECT workflow_id, dedupe_key, payload, headers::json, %(status)s, 0, %(now)s, %(now)s "
        "FROM incoming_events ORDER BY position ON CONFLICT (workflow_id, dedupe_key) DO NOTHING",
        {"status": EventStatus.RECEIVED.value, "now": now},
    )
    found = connection.exec_driver_sql(
        "SELECT e.workflow_id, e.dedupe_key, e.id FROM incoming_events i JOIN events e "
        f"ON e.workflow_id = i.workflow_id AND e.dedupe_key = i.dedupe_key WHERE e.status NOT IN ({final})"
    )
    pending = {(wf, key): event_id for wf, key, event_id in found}
    connection.exec_driver_sql("DROP TABLE pg_temp.incoming_events")
    return pending


# -- the queue ---------------------------------------------------------------------------------------------------


def claimable(now: dt.datetime) -> Any:
    """Waiting and due, or running under a lease that has ended."""
    return or_(
        and_(_e.status == EventStatus.RECEIVED, or_(_e.not_before.is_(None), _e.not_before <= now)),
        and_(_e.status == EventStatus.RUNNING, _e.lease_until < now),
    )


def claim_events(
    connection: Connection, workflow_id: int, dag_run_id: str, limit: int, lease: dt.timedelta
) -> list[ClaimedEvent]:
    """Claim up to `limit` of the workflow's oldest claimable events for this run, under a lease."""
    now = utcnow()
    oldest = (
        select(_e.id)
        .where(_e.workflow_id == workflow_id, claimable(now))
        .order_by(_e.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    claimed = connection.execute(
        update(Event.__table__)
        .where(_e.id.in_(oldest))
        .values(
            status=EventStatus.RUNNING,
            dag_run_id=dag_run_id,
            lease_until=now + lease,
            attempts=_e.attempts + 1,
            updated_at=now,
        )
        .returning(_e.id, _e.dedupe_key, _e.payload, _e.attempts)
    )
    return sorted((ClaimedEvent(*row) for row in claimed), key=lambda event: event.id)


def extend_lease(connection: Connection, dag_run_id: str, lease: dt.timedelta) -> None:
    """Keep the run's claim on every event it still holds."""
    connection.execute(
        update(Event.__table__)
        .where(_e.dag_run_id == dag_run_id, _e.status == EventStatus.RUNNING)
        .values(lease_until=utcnow() + lease)
    )


def finish_events(connection: Connection, outcomes: Sequence[EventOutcome], dag_run_id: str | None = None) -> int:
    """Record how events ended. With a run id, only events that run still holds change (a run whose lease ended
    and whose events another run took cannot overwrite that run's outcome); without, only events still waiting
    (set aside before any run claimed them, e.g. by a quality gate). Returns the rows changed."""
    if not outcomes:
        return 0
    holder = (
        and_(_e.dag_run_id == dag_run_id, _e.status == EventStatus.RUNNING)
        if dag_run_id is not None
        else _e.status == EventStatus.RECEIVED
    )
    alike: dict[tuple[EventStatus, str | None, dt.datetime | None], list[int]] = {}
    for o in outcomes:
        alike.setdefault((o.status, o.error, o.not_before), []).append(o.event_id)
    if len(outcomes) > 1 and len(alike) <= len(outcomes) / 4:  # a bulk push or a gate: few ways to end, many events
        now, changed = utcnow(), 0
        for (status, error, not_before), ids in alike.items():
            for chunk in _chunks(sorted(set(ids))):
                changed += connection.execute(
                    update(Event.__table__)
                    .where(_e.id.in_(chunk), holder)
                    .values(status=status, error=error, not_before=not_before, lease_until=None, updated_at=now)
                ).rowcount
        return changed
    result = connection.execute(
        update(Event.__table__)
        .where(_e.id == bindparam("eid"), holder)
        .values(
            status=bindparam("st", type_=_e.status.type),
            error=bindparam("err"),
            not_before=bindparam("nb", type_=_e.not_before.type),
            lease_until=None,
            updated_at=utcnow(),
        ),
        [{"eid": o.event_id, "st": o.status, "err": o.error, "nb": o.not_before} for o in outcomes],
    )
    return result.rowcount


def take_over_run(connection: Connection, dag_run_id: str) -> int:
    """A retried task of run `dag_run_id` starts: the earlier try is over (Airflow runs one try at a time), so the
    events it still holds wait no longer for their leases to end. They go back to the queue (the attempt it made
    stays counted); returns how many."""
    result = connection.execute(
        update(Event.__table__)
        .where(_e.dag_run_id == dag_run_id, _e.status == EventStatus.RUNNING)
        .values(
            status=EventStatus.RECEIVED,
            lease_until=None,
            not_before=None,
            updated_at=utcnow(),
            error="given back: the run's earlier try stopped while holding it",
        )  # fmt: skip
    )
    return result.rowcount


def release_events(
    connection: Connection, dag_run_id: str, event_ids: Iterable[int], not_before: dt.datetime, reason: str
) -> None:
    """Give claimed events back untried (an outage of the app): waiting until `not_before`, attempt not counted."""
    ids = list(event_ids)
    if ids:
        connection.execute(
            update(Event.__table__)
            .where(_e.id.in_(ids), _e.dag_run_id == dag_run_id, _e.status == EventStatus.RUNNING)
            .values(
                status=EventStatus.RECEIVED,
                attempts=_e.attempts - 1,
                not_before=not_before,
                lease_until=None,
                error=reason,
                updated_at=utcnow(),
            )
        )


def waiting_count(connection: Connection, workflow_id: int) -> int:
    """How many of the workflow's events wait to be claimed (now or after a backoff)."""
    query = select(func.count()).where(_e.workflow_id == workflow_id, _e.status == EventStatus.RECEIVED)
    return int(connection.scalar(query) or 0)


def park_workflow(connection: Connection, workflow_id: int, not_before: dt.datetime) -> int:
    """The app is down: no waiting event of the workflow is claimed before `not_before` (one run probes then,
    instead of every run failing its next event). Returns how many events were parked."""
    result = connection.execute(
        update(Event.__table__)
        .where(
            _e.workflow_id == workflow_id,
            _e.status == EventStatus.RECEIVED,
            or_(_e.not_before.is_(None), _e.not_before < not_before),
        )
        .values(not_before=not_before)
    )
    return result.rowcount


def requeue_event(session: Session, event_id: int) -> Event:
    """Put a finished event back in the queue (a replay): attempts start again; steps already done in the action
    log are not sent again. An event a run holds now is refused: a second run would send its steps again."""
    event = session.get(Event, event_id)
    if event is None:
        raise LookupError(f"no event {event_id}")
    if event.status == EventStatus.RUNNING:
        raise LookupError(f"event {event_id} is being processed by run {event.dag_run_id}; replay it once it ends")
    event.status, event.attempts, event.not_before, event.lease_until = EventStatus.RECEIVED, 0, None, None
    event.error = None
    session.flush()
    return event


UNKNOWN_OUTCOMES = ("OutcomeUnknownError:", "claimed ")
"""How the reasons of failed events begin when a step may have taken effect without the event knowing: a write
that may have been applied and was not sent again, or an event whose runs stopped mid-way, claim after claim.
Replaying one sends a plain create again, so bulk replays leave them out unless asked."""


def unknown_outcome(error: str | None) -> bool:
    return (error or "").startswith(UNKNOWN_OUTCOMES)


def _failed_since(workflow_id: int, received_since: dt.datetime, include_unknown: bool) -> Any:
    condition = and_(_e.workflow_id == workflow_id, _e.status == EventStatus.FAILED, _e.received_at >= received_since)
    if include_unknown:
        return condition
    known = [not_(func.coalesce(_e.error, "").startswith(prefix, autoescape=True)) for prefix in UNKNOWN_OUTCOMES]
    return and_(condition, *known)


def failed_events(
    session: Session, workflow_id: int, received_since: dt.datetime, include_unknown: bool = True
) -> list[Event]:
    """The workflow's failed events received since `received_since`, oldest first: what a bulk replay takes."""
    query = select(Event).where(_failed_since(workflow_id, received_since, include_unknown)).order_by(Event.id)
    return list(session.scalars(query))


def requeue_failed_events(
    session: Session, workflow_id: int, received_since: dt.datetime, include_unknown: bool = False
) -> list[int]:
    """Put every failed event of the workflow received since `received_since` back in the queue as `requeue_event`
    does one (a bulk replay). One statement, which only changes events still `failed` when it runs: done, filtered,
    waiting and running events are left alone, and so are events of `UNKNOWN_OUTCOMES` unless `include_unknown`.
    Returns their ids, oldest first."""
    result = session.execute(
        update(Event.__table__)
        .where(_failed_since(workflow_id, received_since, include_unknown))
        .values(status=EventStatus.RECEIVED, attempts=0, not_before=None, lease_until=None, error=None)
        .returning(_e.id)
    )
    return sorted(result.scalars())


def pending_events(session: Session, workflow_id: int, keys: Sequence[str]) -> dict[str, int]:
    """Dedupe key -> event id of the events of these keys that are not final yet."""
    query = select(_e.dedupe_key, _e.id).where(
        _e.workflow_id == workflow_id, _e.dedupe_key.in_(keys), _e.status.not_in(FINAL)
    )
    return dict(session.execute(query).all())


# -- what waits, for the dispatcher's sweeper and for health -------------------------------------------------------


@dataclass(frozen=True)
class WaitingWorkflow:
    workflow_id: int
    client: str
    key: str
    oldest_event_id: int
    events: int


def waiting_webhook_workflows(session: Session, received_before: dt.datetime) -> list[WaitingWorkflow]:
    """Enabled webhook workflows with claimable events stored before `received_before` (polling workflows drain
    on their schedule)."""
    w = Workflow.__table__.c
    query = (
        select(w.id, w.client, w.key, func.min(_e.id), func.count())
        .join(Workflow.__table__, w.id == _e.workflow_id)
        .where(claimable(utcnow()), _e.received_at <= received_before, w.enabled.is_(True), w.schedule.is_(None))
        .group_by(w.id, w.client, w.key)
        .order_by(func.min(_e.id))
    )
    return [WaitingWorkflow(*row) for row in session.execute(query)]


@dataclass(frozen=True)
class Backlog:
    """The inbox at a glance: events waiting or running, the oldest one's age, failed events."""

    received: int
    running: int
    failed: int
    oldest_waiting_seconds: float | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "running": self.running,
            "failed": self.failed,
            "oldest_waiting_seconds": self.oldest_waiting_seconds,
        }


def backlog(session: Session) -> Backlog:
    """Counts over the whole inbox; the age is that of the oldest event a run could take now in an enabled webhook
    workflow, counted from when it became claimable (a polled record waits for its schedule, a retry for its
    backoff: neither is a stuck backlog)."""
    counts = dict(
        session.execute(
            select(_e.status, func.count())
            .where(_e.status.in_([EventStatus.RECEIVED, EventStatus.RUNNING, EventStatus.FAILED]))
            .group_by(_e.status)
        ).all()
    )
    w = Workflow.__table__.c
    oldest = session.scalar(
        select(func.min(func.coalesce(_e.not_before, _e.received_at)))
        .join(Workflow.__table__, w.id == _e.workflow_id)
        .where(claimable(utcnow()), w.enabled.is_(True), w.schedule.is_(None))
    )
    age = None
    if oldest is not None:
        if isinstance(oldest, str):  # SQLite gives coalesce() back as text
            oldest = dt.datetime.fromisoformat(oldest)
        oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=dt.UTC)
        age = round(max(0.0, (utcnow() - oldest).total_seconds()), 1)
    return Backlog(
        counts.get(EventStatus.RECEIVED, 0), counts.get(EventStatus.RUNNING, 0), counts.get(EventStatus.FAILED, 0), age
    )
