"""Storing webhook events before they are acknowledged: one writer thread, group commit.

Requests hand their events to `InboxWriter.submit` and wait for the future; the writer thread takes every job
waiting (up to `max_batch` events), stores them in ONE transaction and commits before resolving any future. One
commit (one fsync, one SQLite write lock) then covers many concurrent webhooks, and no request thread ever waits
on SQLite's lock.

Dedupe is the inbox's: a second delivery with the same (workflow, dedupe key) returns the first event. On SQLite
and PostgreSQL the insert is `INSERT .. ON CONFLICT DO NOTHING RETURNING id` (about 0.15 ms an event); other
databases, or `orm=True`, use `connectors.registry.inbox.store_event` (about 2 ms an event through the ORM).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import logging
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, bindparam, select, tuple_, update
from sqlalchemy.orm import Session

from connectors.registry.db import get_engine
from connectors.registry.inbox import store_event
from connectors.registry.models import Event, EventStatus, utcnow

log = logging.getLogger(__name__)


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
class StatusUpdate:
    """The dispatcher's verdict on one event: `triggered` (with its run id), still `received` (with the reason it
    was not triggered yet), or `failed`."""

    event_id: int
    status: EventStatus
    dag_run_id: str | None = None
    error: str | None = None


def apply_status_updates(connection: Connection, updates: Sequence[StatusUpdate]) -> None:
    """Write dispatcher verdicts. Only events still `received` change: a run that already started (running,
    succeeded, ...) is never set back by a late verdict."""
    e = Event.__table__.c
    triggered = [{"eid": u.event_id, "rid": u.dag_run_id} for u in updates if u.status == EventStatus.TRIGGERED]
    others = [{"eid": u.event_id, "st": u.status, "err": u.error} for u in updates if u.status != EventStatus.TRIGGERED]
    if triggered:
        connection.execute(
            update(Event.__table__)
            .where(e.id == bindparam("eid"), e.status == EventStatus.RECEIVED)
            .values(status=EventStatus.TRIGGERED, dag_run_id=bindparam("rid"), error=None),
            triggered,
        )
    if others:
        connection.execute(
            update(Event.__table__)
            .where(e.id == bindparam("eid"), e.status == EventStatus.RECEIVED)
            .values(status=bindparam("st", type_=e.status.type), error=bindparam("err")),
            others,
        )


@functools.lru_cache(maxsize=4)
def _upsert_statement(dialect: str) -> Any:
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    elif dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        return None
    return (
        insert(Event)
        .on_conflict_do_nothing(index_elements=["workflow_id", "dedupe_key"])
        .returning(Event.id, Event.workflow_id, Event.dedupe_key)
    )


def store_events_core(connection: Connection, events: Sequence[NewEvent], statement: Any) -> list[StoredEvent]:
    """Insert each event unless (workflow, dedupe key) exists; same outcome as `store_event`, without the ORM.

    One multi-row `INSERT .. ON CONFLICT DO NOTHING RETURNING` for all the events, then one SELECT for the ones
    that already existed: a couple of round trips per batch, which also keeps this thread from queueing for the
    GIL once per statement while the event loop is busy."""
    if not events:
        return []
    now = utcnow()
    params = [
        {
            "workflow_id": event.workflow_id,
            "dedupe_key": event.dedupe_key,
            "payload": event.payload,
            "headers": event.headers,
            "status": EventStatus.RECEIVED,
            "received_at": now,
            "updated_at": now,
        }
        for event in events
    ]
    inserted = {(wf, key): event_id for event_id, wf, key in connection.execute(statement, params)}
    missing = {(e.workflow_id, e.dedupe_key) for e in events} - inserted.keys()
    existing: dict[tuple[int, str], int] = {}
    if missing:
        query = select(Event.id, Event.workflow_id, Event.dedupe_key).where(
            tuple_(Event.workflow_id, Event.dedupe_key).in_(sorted(missing))
        )
        existing = {(wf, key): event_id for event_id, wf, key in connection.execute(query)}
    stored, seen = [], set()
    for event in events:
        pair = (event.workflow_id, event.dedupe_key)
        new = pair in inserted and pair not in seen  # a key twice in one batch: the second is a duplicate
        seen.add(pair)
        stored.append(StoredEvent(event.workflow_id, inserted[pair] if pair in inserted else existing[pair], new))
    return stored


def store_events_orm(session: Session, events: Sequence[NewEvent]) -> list[StoredEvent]:
    stored = []
    for event in events:
        row, new = store_event(session, event.workflow_id, event.dedupe_key, event.payload, event.headers)
        session.flush()
        stored.append(StoredEvent(event.workflow_id, row.id, new))
    return stored


@dataclass
class _Job:
    events: Sequence[NewEvent]
    future: Any  # concurrent.futures.Future (writer thread) or asyncio.Future (event loop)


@dataclass
class _Statuses:
    updates: Sequence[StatusUpdate]


_STOP = object()


class InboxWriter:
    """Stores webhook events in batches, one transaction per batch, committed before any caller is answered.

    Two modes, same guarantees:
    - `in_loop=True` (the default for SQLite): the batch is written synchronously on the event loop, right after
      the handlers that were ready together have handed in their events. No thread hand-over: a writer thread
      would wait for the GIL after every SQLite call (up to the 5 ms switch interval while the loop is busy),
      which made each commit cost ~6 ms under load. The loop is blocked ~1-2 ms per batch.
    - `in_loop=False` (PostgreSQL and others): one writer thread, so network round trips never block the loop.
    The dispatcher's status updates go through the same writer (`record_statuses`): one SQLite writer per process,
    so the request path never sleeps in SQLite's busy handler behind the dispatcher's transaction.
    """

    def __init__(self, url: str, max_batch: int = 256, orm: bool = False, in_loop: bool | None = None) -> None:
        self.url, self.max_batch, self.orm = url, max_batch, orm
        self.in_loop = url.startswith("sqlite") if in_loop is None else in_loop
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._pending: list[_Job] = []
        self._pending_statuses: list[StatusUpdate] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._flush_scheduled = False
        self._running = False
        self.batches = 0  # statistics (GET /health)
        self.events = 0
        self.busy_seconds = 0.0
        self.slowest_batch_seconds = 0.0

    def start(self) -> None:
        self._running = True
        with contextlib.suppress(RuntimeError):  # started outside the loop: the first `store` will tell
            self._loop = asyncio.get_running_loop()
        if not self.in_loop and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="integrations-inbox-writer", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish what was submitted (thread mode), then stop accepting."""
        self._running = False
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join(timeout)
            self._thread = None

    async def store(self, events: Sequence[NewEvent]) -> list[StoredEvent]:
        """Store these events (deduped) and return them once committed."""
        if not self._running:
            raise RuntimeError("the inbox writer is not running")
        if not self.in_loop:
            future: concurrent.futures.Future[list[StoredEvent]] = concurrent.futures.Future()
            self._queue.put(_Job(events, future))
            return await asyncio.wrap_future(future)
        loop = self._loop = asyncio.get_running_loop()
        job = _Job(events, loop.create_future())
        self._pending.append(job)
        self._schedule_flush(loop)
        return await job.future

    def record_statuses(self, updates: Sequence[StatusUpdate]) -> None:
        """Hand over dispatcher verdicts (from any thread); written with the next batch, or at once if there is
        no loop or thread to do it."""
        if not updates:
            return
        loop = self._loop
        if self.in_loop and loop is not None and self._running and not loop.is_closed():
            loop.call_soon_threadsafe(self._add_statuses, list(updates))
        elif not self.in_loop and self._thread is not None:
            self._queue.put(_Statuses(list(updates)))
        else:
            self.write_statuses(updates)

    def write_statuses(self, updates: Sequence[StatusUpdate]) -> None:
        """Write verdicts now, in this thread (a fallback and the dispatcher's last flush)."""
        try:
            with get_engine(self.url).begin() as connection:
                apply_status_updates(connection, updates)
        except Exception:
            log.exception("could not record the status of %d events (they stay received and are swept)", len(updates))

    def _add_statuses(self, updates: list[StatusUpdate]) -> None:
        self._pending_statuses.extend(updates)
        self._schedule_flush(asyncio.get_running_loop())

    def _schedule_flush(self, loop: asyncio.AbstractEventLoop) -> None:
        if not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_soon(self._flush)  # after the handlers already runnable in this turn of the loop

    def _flush(self) -> None:
        self._flush_scheduled = False
        pending, self._pending = self._pending, []
        statuses, self._pending_statuses = self._pending_statuses, []
        if not pending:
            self.write_statuses(statuses)
        while pending:
            batch, count = [], 0
            while pending and (not batch or count + len(pending[0].events) <= self.max_batch):
                count += len(pending[0].events)
                batch.append(pending.pop(0))
            self._write(batch, statuses)
            statuses = []

    def _take(self) -> tuple[list[_Job], list[StatusUpdate], bool]:
        jobs, statuses, stop = [], [], False
        item = self._queue.get()
        count = 0
        while True:
            if item is _STOP:
                stop = True
            elif isinstance(item, _Statuses):
                statuses.extend(item.updates)
            else:
                jobs.append(item)
                count += len(item.events)
            if count >= self.max_batch:
                break
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
        return jobs, statuses, stop

    def _store(self, jobs: Sequence[_Job], statuses: Sequence[StatusUpdate]) -> list[list[StoredEvent]]:
        engine = get_engine(self.url)
        statement = None if self.orm else _upsert_statement(engine.dialect.name)
        if statement is None:
            with Session(engine, expire_on_commit=False) as session, session.begin():
                apply_status_updates(session.connection(), statuses)
                return [store_events_orm(session, job.events) for job in jobs]
        with engine.begin() as connection:
            apply_status_updates(connection, statuses)
            stored = store_events_core(connection, [event for job in jobs for event in job.events], statement)
        results, start = [], 0
        for job in jobs:
            results.append(stored[start : start + len(job.events)])
            start += len(job.events)
        return results

    def _run(self) -> None:
        while True:
            jobs, statuses, stop = self._take()
            if jobs:
                self._write(jobs, statuses)
            elif statuses:
                self.write_statuses(statuses)
            if stop:
                return

    def _write(self, jobs: list[_Job], statuses: Sequence[StatusUpdate] = ()) -> None:
        started = time.perf_counter()
        try:
            results = self._store(jobs, statuses)
        except Exception:
            if statuses:  # keep the verdicts out of the way of the events
                self.write_statuses(statuses)
            if len(jobs) == 1:
                log.exception("webhook events could not be stored")
                _settle(jobs[0].future, error=RuntimeError("the event could not be stored"))
                return
            for job in jobs:  # one bad job must not fail the others: store each on its own
                self._write([job])
            return
        elapsed = time.perf_counter() - started
        self.batches += 1
        self.busy_seconds += elapsed
        self.slowest_batch_seconds = max(self.slowest_batch_seconds, elapsed)
        for job, result in zip(jobs, results, strict=True):
            self.events += len(result)
            _settle(job.future, result=result)


def _settle(future: Any, result: Any = None, error: BaseException | None = None) -> None:
    if future.done():  # an asyncio caller that went away (client disconnected)
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
