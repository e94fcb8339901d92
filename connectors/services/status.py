"""The platform's status at a glance: Airflow's components, the inbox backlog, failed events, open circuits.

The reading itself (Airflow's health endpoint, the registry's backlog) is done by the face's health reader
(`connectors.webhooks.health.platform_health`); this shapes it into one typed answer both faces give.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

HealthReading = Callable[[], dict[str, Any]]


@dataclass(frozen=True)
class PlatformStatus:
    status: str  # ok | degraded
    problems: list[str]
    warnings: list[str]
    airflow: dict[str, Any]  # per component, or {"error": why} when Airflow did not answer
    inbox: dict[str, Any] | None  # None when the registry could not be read
    circuits: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "problems": self.problems,
            "warnings": self.warnings,
            "airflow": self.airflow,
            "inbox": self.inbox,
            "circuits": self.circuits,
        }


def platform_status(read: HealthReading) -> PlatformStatus:
    health = read()
    return PlatformStatus(
        status=health["status"],
        problems=list(health["problems"]),
        warnings=list(health["warnings"]),
        airflow=health["airflow"],
        inbox=health["inbox"],
        circuits=list(health.get("circuits", [])),
    )
