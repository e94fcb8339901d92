"""The platform's health in one answer: Airflow's components (their heartbeats, from Airflow's own
`/api/v2/monitor/health`), the inbox backlog and its oldest event's age, failed events, and the circuit breakers
of apps found down.

Served by the receiver's `GET /health` and printed by `integrations status`; a stuck backlog or a dead scheduler
shows here without reading any log.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from connectors.registry.circuits import all_circuits, as_utc
from connectors.registry.db import session_scope
from connectors.registry.inbox import backlog
from connectors.registry.models import utcnow
from connectors.webhooks.airflow_api import airflow_health

AIRFLOW_COMPONENTS = ("metadatabase", "scheduler", "dag_processor", "triggerer")
STUCK_AFTER_SECONDS = 300.0  # events waiting longer than this mean nothing is draining them


def platform_health(url: str | None, airflow_api_url: str, stuck_after: float = STUCK_AFTER_SECONDS) -> dict[str, Any]:
    """`status` is `ok` or `degraded`, with every `problem` named; `warnings` do not degrade (failed events wait
    for a replay, they do not stop the others)."""
    problems: list[str] = []
    warnings: list[str] = []
    airflow = airflow_health(airflow_api_url)
    if "error" in airflow:
        problems.append(airflow["error"])
    for component in AIRFLOW_COMPONENTS:
        state = (airflow.get(component) or {}).get("status")
        if "error" not in airflow and state is not None and state != "healthy":
            heartbeat = (airflow.get(component) or {}).get(f"latest_{component}_heartbeat")
            problems.append(f"Airflow {component} is {state} (last heartbeat {heartbeat})")
    circuits: list[dict[str, Any]] = []
    try:
        with session_scope(url) as session:
            inbox = backlog(session).as_dict()
            now = utcnow()
            for circuit in all_circuits(session.connection()):
                app, connection_id = circuit.key
                state = "open" if circuit.is_open(now) else "half-open"
                until = as_utc(circuit.open_until)
                circuits.append({"app": app, "connection": connection_id, "state": state,
                                 "open_until": until.isoformat(), "trips": circuit.failures})  # fmt: skip
                warnings.append(f"circuit {state}: {app} on connection {connection_id} failed {circuit.failures} "
                                f"time(s) in a row, calls wait until {until:%Y-%m-%d %H:%M:%S} UTC")  # fmt: skip
    except Exception as exc:  # the registry is down: say so instead of failing the health check
        never_migrated = "no such table" in str(exc) or "UndefinedTable" in str(exc)
        problems.append("registry database has no schema: run `integrations db migrate`" if never_migrated
                        else f"registry database unreachable: {type(exc).__name__}")  # fmt: skip
        inbox = None
    if inbox is not None:
        age = inbox["oldest_waiting_seconds"]
        if age is not None and age > stuck_after:
            problems.append(f"inbox backlog stuck: {inbox['received'] + inbox['running']} events, oldest {age:.0f} s")
        if inbox["failed"]:
            warnings.append(f"{inbox['failed']} failed events (integrations events list --status failed)")
    return {
        "status": "degraded" if problems else "ok",
        "problems": problems,
        "warnings": warnings,
        "airflow": airflow,
        "inbox": inbox,
        "circuits": circuits,
    }


class HealthReader:
    """`platform_health`, read at most once per `max_age` seconds however often `/health` is called."""

    def __init__(
        self, url: str | None, airflow_api_url: str, max_age: float = 2.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.url, self.airflow_api_url, self.max_age, self.clock = url, airflow_api_url, max_age, clock
        self._lock = threading.Lock()
        self._last: tuple[float, dict[str, Any]] | None = None

    def read(self) -> dict[str, Any]:
        with self._lock:
            if self._last is None or self.clock() - self._last[0] > self.max_age:
                self._last = (self.clock(), platform_health(self.url, self.airflow_api_url))
            return self._last[1]
