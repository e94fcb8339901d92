"""Storing webhook events before they are acknowledged, in batches: one transaction covers many deliveries.

Dedupe is the inbox's (`connectors.registry.inbox.store_events`): a second delivery with the same (workflow,
dedupe key) returns the first event.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from connectors.registry.db import get_engine
from connectors.registry.inbox import NewEvent, StoredEvent, store_events

log = logging.getLogger(__name__)


@dataclass
class _Job:
    events: Sequence[NewEvent]
    future: Any  # concurrent.futures.Future (writer thread) or asyncio.Future (event loop)


_STOP = object()


class InboxWriter:
    """Stores webhook events in batches, one transaction per batch, committed before any caller is answered.

    Two modes, same guarantees:
    - `in_loop=True` (the default for SQLite): the batch is written synchronously on the event loop, right after
      the handlers that were ready together have handed in their events. No thread hand-over: a writer thread
      would wait for the GIL after every SQLite call (up to the 5 ms switch interval while the loop is busy),
      which made each commit cost ~6 ms under load. The loop is blocked ~1-2 ms per batch.
    - `in_loop=False` (PostgreSQL): one writer thread, so network round trips never block the loop.
    """

    def __init__(self, url: str, max_batch: int = 256, in_loop: bool | None = None) -> None:
        self.url, self.max_batch = url, max_batch
        self.in_loop = url.startswith("sqlite") if in_loop is None else in_loop
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._pending: list[_Job] = []
        self._flush_scheduled = False
        self._running = False
        self.batches = 0  # statistics (GET /health)
        self.events = 0
        self.busy_seconds = 0.0
        self.slowest_batch_seconds = 0.0

    def start(self) -> None:
        self._running = True
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
        loop = asyncio.get_running_loop()
        job = _Job(events, loop.create_future())
        self._pending.append(job)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_soon(self._flush)  # after the handlers already runnable in this turn of the loop
        return await job.future

    def _flush(self) -> None:
        self._flush_scheduled = False
        pending, self._pending = self._pending, []
        while pending:
            batch, count = [], 0
            while pending and (not batch or count + len(pending[0].events) <= self.max_batch):
                count += len(pending[0].events)
                batch.append(pending.pop(0))
            self._write(batch)

    def _take(self) -> tuple[list[_Job], bool]:
        jobs, count = [], 0
        item = self._queue.get()
        while True:
            if item is _STOP:
                return jobs, True
            jobs.append(item)
            count += len(item.events)
            if count >= self.max_batch:
                return jobs, False
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return jobs, False

    def _run(self) -> None:
        while True:
            jobs, stop = self._take()
            if jobs:
                self._write(jobs)
            if stop:
                return

    def _store(self, jobs: Sequence[_Job]) -> list[list[StoredEvent]]:
        with get_engine(self.url).begin() as connection:
            stored = store_events(connection, [event for job in jobs for event in job.events])
        results, start = [], 0
        for job in jobs:
            results.append(stored[start : start + len(job.events)])
            start += len(job.events)
        return results

    def _write(self, jobs: list[_Job]) -> None:
        started = time.perf_counter()
        try:
            results = self._store(jobs)
        except Exception:
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
    with contextlib.suppress(asyncio.InvalidStateError, concurrent.futures.InvalidStateError):
        if future.done():  # an asyncio caller that went away (client disconnected)
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)
