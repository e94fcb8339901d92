"""The dispatcher: ONE thread that triggers a DAG run per stored event through Airflow's REST API, serially.

Why one thread: Airflow on SQLite answers concurrent triggers with "database is locked" (HTTP 500); one serial
caller gets ~36 runs/s. New events arrive through `submit`; a sweeper in the same thread re-reads events still
`received` (Airflow was down, the DAG was not parsed yet, the process restarted) every `sweep_interval_seconds`.

Outcomes of `POST /api/v2/dags/{dag_id}/dagRuns` with `dag_run_id = event__<id>`:
- 200/201: triggered; 409: that run exists, so it was triggered before — both set the event `triggered`;
- 404 (DAG not parsed yet), 401/403, 408, 429, 5xx, connection errors: the event stays `received` and the error
  is noted on it; the DAG (404) or the whole API (others) is left alone for a growing pause;
- 400/422: Airflow refuses this run for good; the event is marked `failed` with Airflow's answer.
The bearer token comes from `POST /auth/token` and is fetched again once after a 401. The password and the token
are registered for log redaction and never logged.
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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

import requests
from sqlalchemy import select

from connectors.registry.db import get_engine, session_scope
from connectors.registry.models import Event, EventStatus, Workflow, utcnow
from connectors.runtime.redaction import install_log_redaction, redact, register_secret
from connectors.webhooks.store import StatusUpdate, apply_status_updates

log = logging.getLogger(__name__)

TRIGGERED, EXISTS, NOT_FOUND, UNAVAILABLE, REFUSED = "triggered", "exists", "not_found", "unavailable", "refused"
STATUS_FLUSH_SECONDS = 0.2
STATUS_FLUSH_SIZE = 100
LIVE_QUEUE_SIZE = 10_000


def run_id_for(event_id: int) -> str:
    return f"event__{event_id}"


@dataclass(frozen=True)
class Dispatch:
    """One event to trigger: its id, its workflow's DAG and the run's note."""

    event_id: int
    dag_id: str
    note: str
    run_id: str | None = None  # default `event__<id>`; a replay names a run of its own


@dataclass(frozen=True)
class TriggerOutcome:
    kind: str  # triggered | exists | not_found | unavailable | refused
    detail: str = ""


class AirflowApi:
    """The two calls the dispatcher needs: get a token, trigger a run. Not thread-safe (one dispatcher)."""

    def __init__(
        self,
        base_url: str,
        username: str | None,
        password: str | None,
        timeout: float = 10.0,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.username, self._password, self.timeout = username, password, timeout
        self.session = session or requests.Session()
        self._token: str | None = None
        self.token_fetches = 0
        register_secret(password)

    def _fetch_token(self) -> str | None:
        if not self.username:
            return None  # no credentials configured: call without a token (e.g. all-admins simple auth)
        response = self.session.post(
            f"{self.base_url}/auth/token",
            json={"username": self.username, "password": self._password},
            timeout=self.timeout,
        )
        self.token_fetches += 1
        if response.status_code not in (200, 201):
            raise _ApiError(response.status_code, f"token request answered {response.status_code}")
        token = response.json()["access_token"]
        register_secret(token)
        return token

    def _post_run(self, dag_id: str, body: dict[str, Any]) -> requests.Response:
        if self._token is None:
            self._token = self._fetch_token()
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        return self.session.post(
            f"{self.base_url}/api/v2/dags/{dag_id}/dagRuns", json=body, headers=headers, timeout=self.timeout
        )

    def trigger(self, dispatch: Dispatch) -> TriggerOutcome:
        body = {
            "dag_run_id": dispatch.run_id or run_id_for(dispatch.event_id),
            "logical_date": None,
            "conf": {"event_id": dispatch.event_id},
            "note": dispatch.note,
        }
        try:
            response = self._post_run(dispatch.dag_id, body)
            if response.status_code == 401:  # token expired or revoked: fetch a new one, once
                self._token = None
                response = self._post_run(dispatch.dag_id, body)
        except _ApiError as exc:
            return TriggerOutcome(UNAVAILABLE, exc.detail)
        except (requests.ConnectionError, requests.Timeout) as exc:
            return TriggerOutcome(UNAVAILABLE, f"Airflow API unreachable: {type(exc).__name__}")
        except (requests.RequestException, ValueError, KeyError) as exc:  # e.g. a token answer without a token
            return TriggerOutcome(UNAVAILABLE, f"Airflow API call failed: {type(exc).__name__}")
        status = response.status_code
        if status in (200, 201):
            return TriggerOutcome(TRIGGERED)
        if status == 409:
            return TriggerOutcome(EXISTS)
        if status == 404:
            return TriggerOutcome(NOT_FOUND, f"DAG {dispatch.dag_id} not found in Airflow (not parsed yet?)")
        detail = f"Airflow API answered {status}: {redact(response.text[:300])}"
        if status in (400, 422):
            return TriggerOutcome(REFUSED, detail)
        if status == 401:
            self._token = None
        return TriggerOutcome(UNAVAILABLE, detail)


class _ApiError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


class _Backoff:
    """A pause that doubles from `initial` up to `maximum` while failures repeat."""

    def __init__(self, initial: float, maximum: float) -> None:
        self.initial, self.maximum = initial, maximum
        self.failures = 0
        self.until = 0.0

    def fail(self, now: float) -> None:
        self.until = now + min(self.maximum, self.initial * 2**self.failures)
        self.failures += 1

    def succeed(self) -> None:
        self.failures, self.until = 0, 0.0

    def blocked(self, now: float) -> bool:
        return now < self.until


class _FileLock:
    """A host-wide lock on a file (fcntl), so several api-server workers behave as one dispatcher."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self._file: IO[bytes] | None = None
        self.leader = False

    def _handle(self) -> IO[bytes]:
        if self._file is None:
            assert self.path is not None
            self._file = open(self.path, "ab")  # noqa: SIM115 - held for the life of the dispatcher
        return self._file

    @contextlib.contextmanager
    def serial(self) -> Iterator[None]:
        """Hold the lock while one trigger call runs (blocks while another process triggers)."""
        if self.path is None:
            yield
            return
        import fcntl

        handle = self._handle()
        fcntl.lockf(handle, fcntl.LOCK_EX, 1, 0)
        try:
            yield
        finally:
            fcntl.lockf(handle, fcntl.LOCK_UN, 1, 0)

    def sweeper(self) -> bool:
        """Whether this process sweeps: the first to take byte 1 of the file keeps it until it exits."""
        if self.path is None or self.leader:
            self.leader = True
            return True
        import fcntl

        try:
            fcntl.lockf(self._handle(), fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 1)
        except OSError:
            return False
        self.leader = True
        return True

    def close(self) -> None:
        if self._file is not None:
            self._file.close()  # releases both locks
            self._file = None


_STOP = object()


class Dispatcher:
    """Triggers runs for new events (`submit`) and sweeps events left `received`, one call at a time."""

    def __init__(
        self,
        api: AirflowApi,
        url: str,
        *,
        sweep_interval: float = 30.0,
        sweep_grace: float = 10.0,
        sweep_batch: int = 100,
        retry_initial: float = 1.0,
        retry_max: float = 30.0,
        lock_file: str | None = None,
        record: Callable[[list[StatusUpdate]], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.api, self.url, self.clock = api, url, clock
        self._record_sink = record  # the receiver's inbox writer; None = write in this thread
        self.sweep_interval, self.sweep_grace, self.sweep_batch = sweep_interval, sweep_grace, sweep_batch
        self.retry_initial, self.retry_max = retry_initial, retry_max
        self._live: queue.Queue[Any] = queue.Queue(LIVE_QUEUE_SIZE)
        self._queued: set[int] = set()  # ids waiting in the live queue: the sweeper leaves them alone
        self._swept: collections.deque[Dispatch] = collections.deque()
        self._sweep_cursor = 0
        self._next_sweep = 0.0  # the first sweep runs at start: events stored while this process was down
        self._api_backoff = _Backoff(retry_initial, retry_max)
        self._dag_backoff: dict[str, _Backoff] = {}
        self._updates: list[StatusUpdate] = []
        self._first_update = 0.0
        self._recent: dict[int, float] = {}  # event id -> when its verdict was handed over (the sweeper skips it)
        self._last_sweep = float("-inf")
        self._lock = _FileLock(lock_file)
        self._thread: threading.Thread | None = None
        self._stopping = False
        self.stats = collections.Counter[str]()
        install_log_redaction()

    # -- control ---------------------------------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="integrations-dispatcher", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        if self._thread is not None:
            self._stopping = True
            with contextlib.suppress(queue.Full):
                self._live.put(_STOP, timeout=1)
            self._thread.join(timeout)
            self._thread = None
        self._lock.close()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def submit(self, dispatch: Dispatch) -> None:
        """Hand over a new, stored event. Never blocks: when the queue is full the sweeper triggers it later."""
        try:
            self._live.put_nowait(dispatch)
        except queue.Full:
            self.stats["dropped_to_sweeper"] += 1
            return
        self._queued.add(dispatch.event_id)

    def backlog(self) -> int:
        return self._live.qsize() + len(self._swept)

    # -- the thread ------------------------------------------------------------------------------------------------

    def _run(self) -> None:
        turn = 0
        while True:
            item = None
            try:
                item = self._next_item(turn)
                turn += 1
                if item is _STOP:
                    break
                if isinstance(item, Dispatch):
                    self._queued.discard(item.event_id)
                    self._dispatch(item)
                self._flush_updates(force=item is None)
            except Exception:  # e.g. the registry is unreachable: keep the thread alive, sweep again later
                log.exception("dispatcher: unexpected error; events stay received and are swept later")
                self._next_sweep = self.clock() + self.retry_max
                self._swept.clear()
                time.sleep(0.1)
        self._flush_updates(force=True)

    def _next_item(self, turn: int) -> object | None:
        """Alternate between the live queue and the swept backlog. Sweep when idle, or once an interval while
        busy: under a backlog the live queue keeps the dispatcher busy anyway, and paging the inbox would only
        take CPU from the request handlers."""
        now = self.clock()
        live_empty = self._live.empty()
        if (
            not self._swept
            and now >= self._next_sweep
            and (live_empty or now - self._last_sweep >= self.sweep_interval)
        ):
            self._sweep(now)
        if self._swept and (turn % 2 == 0 or self._live.empty()):
            return self._swept.popleft()
        if self._swept:
            timeout = 0.0
        elif self._updates:
            timeout = STATUS_FLUSH_SECONDS
        else:
            timeout = max(0.0, min(self._next_sweep - now, self.sweep_interval))
        try:
            return self._live.get(timeout=timeout) if timeout > 0 else self._live.get_nowait()
        except queue.Empty:
            return None

    def _sweep(self, now: float) -> None:
        """Load the next page of events still `received` (oldest first), skipping the queued and the young."""
        if self._api_backoff.blocked(now):
            self._next_sweep = self._api_backoff.until
            return
        if not self._lock.sweeper():
            self._next_sweep = now + self.sweep_interval
            return
        self._last_sweep = now
        horizon = now - max(10.0, 2 * STATUS_FLUSH_SECONDS)
        self._recent = {k: t for k, t in self._recent.items() if t >= horizon}
        e, w = Event.__table__.c, Workflow.__table__.c
        young = utcnow() - dt.timedelta(seconds=self.sweep_grace)
        query = (
            select(e.id, e.dedupe_key, w.client, w.key, w.trigger_app, w.trigger_version, w.trigger_key)
            .join(Workflow.__table__, w.id == e.workflow_id)
            .where(e.status == EventStatus.RECEIVED, e.id > self._sweep_cursor, w.enabled.is_(True))
            .where(e.received_at <= young, w.schedule.is_(None))
            .order_by(e.id)
            .limit(self.sweep_batch)
        )
        with session_scope(self.url) as session:
            rows = session.execute(query).all()
        for event_id, dedupe_key, client, key, app, version, trigger_key in rows:
            if event_id not in self._queued and event_id not in self._recent:
                note = f"{app}@{version} {trigger_key} event {dedupe_key}"[:1000]
                self._swept.append(Dispatch(event_id, f"wf__{client}__{key}", note))
                self.stats["swept"] += 1
        if len(rows) == self.sweep_batch:
            self._sweep_cursor = rows[-1][0]  # more to read: the next page right after this one
            self._next_sweep = now
        else:
            self._sweep_cursor = 0
            self._next_sweep = now + self.sweep_interval

    def _dispatch(self, dispatch: Dispatch) -> None:
        now = self.clock()
        dag_backoff = self._dag_backoff.get(dispatch.dag_id)
        if self._api_backoff.blocked(now) or (dag_backoff and dag_backoff.blocked(now)):
            self.stats["deferred"] += 1
            return  # stays `received`; the sweeper tries again after the pause
        with self._lock.serial():
            outcome = self.api.trigger(dispatch)
        self.stats[outcome.kind] += 1
        if outcome.kind in (TRIGGERED, EXISTS):
            self._api_backoff.succeed()
            self._dag_backoff.pop(dispatch.dag_id, None)
            self._record(dispatch.event_id, EventStatus.TRIGGERED, run_id_for(dispatch.event_id), None)
        elif outcome.kind == NOT_FOUND:
            self._api_backoff.succeed()
            self._dag_backoff.setdefault(dispatch.dag_id, _Backoff(self.retry_initial, self.retry_max)).fail(now)
            self._record(dispatch.event_id, EventStatus.RECEIVED, None, outcome.detail)
        elif outcome.kind == REFUSED:
            log.error("dispatcher: event %s for %s refused: %s", dispatch.event_id, dispatch.dag_id, outcome.detail)
            self._record(dispatch.event_id, EventStatus.FAILED, None, outcome.detail)
        else:
            if self._api_backoff.failures == 0:
                log.warning("dispatcher: %s; events stay received and are retried", outcome.detail)
            self._api_backoff.fail(now)
            self._swept.clear()  # after the pause, sweep again from the oldest event
            self._sweep_cursor, self._next_sweep = 0, self._api_backoff.until
            self._record(dispatch.event_id, EventStatus.RECEIVED, None, outcome.detail)

    # -- status writes, batched and handed to the receiver's writer ---------------------------------------------

    def _record(self, event_id: int, status: EventStatus, run_id: str | None, error: str | None) -> None:
        if not self._updates:
            self._first_update = self.clock()
        self._updates.append(StatusUpdate(event_id, status, run_id, error))

    def _flush_updates(self, force: bool = False) -> None:
        if not self._updates:
            return
        now = self.clock()
        due = now - self._first_update >= STATUS_FLUSH_SECONDS or len(self._updates) >= STATUS_FLUSH_SIZE
        if not (force or due):
            return
        updates, self._updates = self._updates, []
        for update in updates:  # the sweeper must not read these as `received` before the writer commits them
            if update.status != EventStatus.RECEIVED:
                self._recent[update.event_id] = now
        if self._record_sink is not None and not self._stopping:
            self._record_sink(updates)
            return
        try:
            with get_engine(self.url).begin() as connection:
                apply_status_updates(connection, updates)
        except Exception:
            log.exception("dispatcher: could not record the status of %d events (they will be swept)", len(updates))
            self.stats["status_write_failed"] += len(updates)


def dispatcher_from_settings(
    settings: Any, url: str, record: Callable[[list[StatusUpdate]], None] | None = None
) -> Dispatcher:
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
        sweep_batch=settings.sweep_batch,
        retry_initial=settings.retry_initial_seconds,
        retry_max=settings.retry_max_seconds,
        lock_file=lock_file,
        record=record,
    )
