"""The dispatcher: ONE thread that wakes workflows through Airflow's REST API when their events wait.

A woken workflow gets a DAG run that drains its events in batches (`connectors.workflows.drain`). The dispatcher
never triggers a run per event: while the workflow's last run will still claim — not started yet, or draining
and not finishing (`connectors.registry.drains`) — new events are covered by it. Once it finishes (or goes
silent), the next event wakes the workflow again. So a lone event gets its own run at once, and a burst becomes
one run per workflow draining many events.

New events arrive through `submit` (never blocks); a sweeper in the same thread re-reads the inbox every
`sweep_interval` for events that wait without a run coming: Airflow was down, the DAG was not parsed yet, a
retry's backoff ended, a run died and its lease ended, the process restarted.

Trigger outcomes (see `airflow_api`): triggered/exists → the workflow is woken; not found (DAG not parsed yet)
→ that DAG is left alone for a growing pause; unavailable → the whole API is left alone for a growing pause;
refused → logged, the DAG paused like not found. The dispatcher never changes an event: runs claim them.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from connectors.registry.dag_ids import dag_id_for
from connectors.registry.db import get_engine, session_scope
from connectors.registry.drains import DrainState, drain_states
from connectors.registry.inbox import waiting_webhook_workflows
from connectors.registry.models import utcnow
from connectors.runtime.redaction import install_log_redaction
from connectors.webhooks.airflow_api import EXISTS, NOT_FOUND, REFUSED, TRIGGERED, AirflowApi
from connectors.webhooks.host_lock import HostLock

log = logging.getLogger(__name__)

WAKE_QUEUE_SIZE = 100_000


def drain_run_id(event_id: int, now: dt.datetime | None = None) -> str:
    """`drain__<event id>__<time>`: the event that woke the run, and when (a later wake by the same event, after
    a backoff or a dead run, is a new run)."""
    return f"drain__{event_id}__{(now or utcnow()):%Y%m%dT%H%M%S%f}"


@dataclass(frozen=True)
class Wake:
    """A workflow has an event waiting: its DAG, the event, and the run's note."""

    workflow_id: int
    dag_id: str
    event_id: int
    note: str


@dataclass(frozen=True)
class _Woken:
    run_id: str
    at: float


class _Backoff:
    """A pause that doubles from `initial` up to `maximum` while failures repeat."""

    def __init__(self, initial: float, maximum: float) -> None:
        self.initial, self.maximum = initial, maximum
        self.failures = 0
        self.until = 0.0

    def fail(self, now: float) -> None:
        self.until = now + min(self.maximum, self.initial * 2**self.failures)
        self.failures += 1

    def blocked(self, now: float) -> bool:
        return now < self.until


_STOP = object()


class Dispatcher:
    """Wakes workflows for new events (`submit`) and for events the sweeper finds waiting, one call at a time."""

    def __init__(
        self,
        api: AirflowApi,
        url: str,
        *,
        sweep_interval: float = 30.0,
        sweep_grace: float = 2.0,
        stale_after: float = 60.0,
        alive_for: float = 60.0,
        retry_initial: float = 1.0,
        retry_max: float = 30.0,
        lock_file: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.api, self.url, self.clock = api, url, clock
        self.sweep_interval, self.sweep_grace, self.stale_after = sweep_interval, sweep_grace, stale_after
        self.alive_for = dt.timedelta(seconds=alive_for)
        self.retry_initial, self.retry_max = retry_initial, retry_max
        self._wakes: queue.Queue[Any] = queue.Queue(WAKE_QUEUE_SIZE)
        self._woken: dict[int, _Woken] = {}  # workflow id -> the last run triggered for it
        self._api_backoff = _Backoff(retry_initial, retry_max)
        self._dag_backoff: dict[str, _Backoff] = {}
        self._next_sweep = 0.0  # the first sweep runs at start: events stored while this process was down
        self._lock = HostLock(lock_file)
        self._thread: threading.Thread | None = None
        self.stats = collections.Counter[str]()
        install_log_redaction()

    # -- control ---------------------------------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="integrations-dispatcher", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        if self._thread is not None:
            with contextlib.suppress(queue.Full):
                self._wakes.put(_STOP, timeout=1)
            self._thread.join(timeout)
            self._thread = None
        self._lock.close()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def submit(self, wake: Wake) -> None:
        """Hand over a stored event's workflow. Never blocks: when the queue is full the sweeper finds it."""
        try:
            self._wakes.put_nowait(wake)
        except queue.Full:
            self.stats["left_to_sweeper"] += 1

    def backlog(self) -> int:
        return self._wakes.qsize()

    # -- the thread ------------------------------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            try:
                if not self.run_once(timeout=max(0.0, min(self._next_sweep - self.clock(), self.sweep_interval))):
                    return
            except Exception:  # e.g. the registry is unreachable: keep the thread alive, sweep again later
                log.exception("dispatcher: unexpected error; waiting events are swept later")
                self._next_sweep = self.clock() + self.retry_max
                time.sleep(0.1)

    def run_once(self, timeout: float = 0.0) -> bool:
        """Take every wake waiting (the first within `timeout`), wake their workflows, sweep when due. False once
        stopped. The thread's loop; tests call it directly to order events deterministically."""
        wakes: list[Wake] = []
        try:
            item = self._wakes.get(timeout=timeout) if timeout > 0 else self._wakes.get_nowait()
            while True:
                if item is _STOP:
                    return False
                wakes.append(item)
                item = self._wakes.get_nowait()
        except queue.Empty:
            pass
        if wakes:
            self.wake(wakes)
        if self.clock() >= self._next_sweep:
            self.sweep()
        return True

    def wake(self, wakes: Iterable[Wake]) -> None:
        """Trigger a run for each workflow among `wakes` unless its last run will still claim: not started yet
        (and triggered less than `stale_after` ago), or draining and not finishing (see `registry.drains`)."""
        first: dict[int, Wake] = {}
        for wake in wakes:
            first.setdefault(wake.workflow_id, wake)
        woken = {w: self._woken[w] for w in first if w in self._woken}
        with get_engine(self.url).connect() as connection:
            states = drain_states(connection, [run.run_id for run in woken.values()], self.alive_for)
        now = self.clock()
        for workflow_id, wake in first.items():
            run = woken.get(workflow_id)
            state = states[run.run_id] if run else DrainState.DONE
            if run is not None and state == DrainState.NOT_STARTED and now - run.at >= self.stale_after:
                state = self._still_queued(workflow_id, wake.dag_id, run, now)
            if state != DrainState.DONE:
                self.stats["coalesced"] += 1
                continue
            self._trigger(wake)

    def _still_queued(self, workflow_id: int, dag_id: str, run: _Woken, now: float) -> DrainState:
        """A run not started after `stale_after`: Airflow may just not have started it yet (the DAG is paused,
        or other runs fill `max_active_runs`): then it still covers the workflow, and another would only queue
        behind it. Gone or failed before claiming: the workflow needs a new run."""
        with self._lock.serial():
            airflow_state = self.api.run_state(dag_id, run.run_id)
        if airflow_state in ("queued", "running"):
            self._woken[workflow_id] = _Woken(run.run_id, now)  # look again after another while
            return DrainState.NOT_STARTED
        return DrainState.DONE

    def sweep(self) -> None:
        """Wake the workflows whose events wait (older than the grace) with no run coming for them."""
        now = self.clock()
        self._next_sweep = now + self.sweep_interval
        if self._api_backoff.blocked(now):
            self._next_sweep = self._api_backoff.until
            return
        if not self._lock.sweeper():
            return
        with session_scope(self.url) as session:
            waiting = waiting_webhook_workflows(session, utcnow() - dt.timedelta(seconds=self.sweep_grace))
        wakes = [
            Wake(w.workflow_id, dag_id_for(w.client, w.key), w.oldest_event_id, f"{w.events} events waiting")
            for w in waiting
        ]
        self.stats["swept"] += len(wakes)
        if wakes:
            self.wake(wakes)

    def _trigger(self, wake: Wake) -> None:
        now = self.clock()
        dag_backoff = self._dag_backoff.get(wake.dag_id)
        if self._api_backoff.blocked(now) or (dag_backoff and dag_backoff.blocked(now)):
            self.stats["deferred"] += 1
            return  # the events stay received; the sweeper wakes the workflow after the pause
        run_id = drain_run_id(wake.event_id)
        conf = {"workflow_id": wake.workflow_id, "woken_by_event": wake.event_id}
        with self._lock.serial():
            outcome = self.api.trigger(wake.dag_id, run_id, conf, f"woken by event {wake.event_id}: {wake.note}")
        self.stats[outcome.kind] += 1
        if outcome.kind in (TRIGGERED, EXISTS):
            self._api_backoff = _Backoff(self.retry_initial, self.retry_max)
            self._dag_backoff.pop(wake.dag_id, None)
            self._woken[wake.workflow_id] = _Woken(run_id, now)
        elif outcome.kind in (NOT_FOUND, REFUSED):
            if outcome.kind == REFUSED:
                log.error("dispatcher: Airflow refused a run of %s: %s", wake.dag_id, outcome.detail)
            self._dag_backoff.setdefault(wake.dag_id, _Backoff(self.retry_initial, self.retry_max)).fail(now)
        else:
            if self._api_backoff.failures == 0:
                log.warning("dispatcher: %s; events stay received and are retried", outcome.detail)
            self._api_backoff.fail(now)
            self._next_sweep = self._api_backoff.until


def dispatcher_from_settings(settings: Any, url: str) -> Dispatcher:
    """The dispatcher the receiver starts, configured by `WebhookSettings` (never by code constants)."""
    api = AirflowApi(
        settings.airflow_api_url,
        settings.airflow_username,
        settings.airflow_password,
        settings.airflow_timeout_seconds,
    )
    lock_file = settings.dispatch_lock_file
    if lock_file:
        os.makedirs(os.path.dirname(os.path.abspath(lock_file)), exist_ok=True)
    return Dispatcher(
        api,
        url,
        sweep_interval=settings.sweep_interval_seconds,
        sweep_grace=settings.sweep_grace_seconds,
        retry_initial=settings.retry_initial_seconds,
        retry_max=settings.retry_max_seconds,
        lock_file=lock_file,
    )
