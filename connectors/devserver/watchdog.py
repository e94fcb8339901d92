"""Says loudly when an Airflow component of `make run` dies or comes back.

`airflow standalone` keeps serving the UI when its scheduler, dag-processor or triggerer has died, so a dead
scheduler looked like "my webhooks do nothing". This polls the api-server's `/api/v2/monitor/health` and prints one
`!!` line when a component turns unhealthy (or never became healthy after start-up) and one when it recovers.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

COMPONENTS = ("metadatabase", "scheduler", "dag_processor", "triggerer")


@dataclass
class HealthWatch:
    """Turns successive health answers into the lines worth printing; remembers what it already said."""

    startup_grace: float = 120.0
    started: float = field(default_factory=time.monotonic)
    _healthy: dict[str, bool] = field(default_factory=dict)
    _unhealthy_since: dict[str, str] = field(default_factory=dict)
    _reported: set[str] = field(default_factory=set)
    _api_down_since: str | None = None

    def observe(self, health: Mapping[str, Any] | None, now: float | None = None) -> list[str]:
        """`health` is the endpoint's JSON, or None when the api-server did not answer."""
        now = time.monotonic() if now is None else now
        clock = dt.datetime.now().strftime("%H:%M:%S")
        if health is None:
            if self._healthy and self._api_down_since is None:  # it answered before: it has gone away
                self._api_down_since = clock
                return [f"!! api-server is not answering since {clock}"]
            return []
        lines = []
        if self._api_down_since is not None:
            lines.append(f"ok api-server answers again (down since {self._api_down_since})")
            self._api_down_since = None
        for name in COMPONENTS:
            info = health.get(name) or {}
            status = info.get("status")
            if status is None and name != "metadatabase":  # never started (no job row yet)
                status = "unhealthy"
            healthy = status == "healthy"
            was = self._healthy.get(name)
            self._healthy[name] = healthy
            if healthy:
                self._unhealthy_since.pop(name, None)
                if name in self._reported:
                    self._reported.discard(name)
                    lines.append(f"ok {name} is healthy again")
                continue
            since = self._unhealthy_since.setdefault(name, clock)
            turned = was is True or (now - self.started > self.startup_grace)
            if turned and name not in self._reported:
                self._reported.add(name)
                beat = info.get(f"latest_{name}_heartbeat") or "none"
                lines.append(f"!! {name} is unhealthy since {since} (last heartbeat {beat})")
        return lines


def fetch_health(base_url: str, session: requests.Session) -> Mapping[str, Any] | None:
    try:
        answer = session.get(f"{base_url}/api/v2/monitor/health", timeout=5)
        return answer.json() if answer.ok else None
    except (requests.RequestException, ValueError):
        return None


def watch(base_url: str, every: float, echo: Callable[[str], None]) -> None:
    """Poll until killed, echoing transitions."""
    session = requests.Session()
    session.trust_env = False  # 127.0.0.1 never goes through a proxy
    health_watch = HealthWatch()
    while True:
        for line in health_watch.observe(fetch_health(base_url, session)):
            echo(line)
        time.sleep(every)
