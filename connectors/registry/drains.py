"""Drains: the DAG runs that take a workflow's events, as the registry sees them.

A run writes its row before its first claim. The dispatcher reads it: a woken run without a row has not claimed
yet, so every event stored before it claims is covered by it; a run with a row may have claimed already, so a
new event needs another run.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite

from connectors.registry.models import Drain, utcnow

_d = Drain.__table__.c


def start_drain(connection: Connection, dag_run_id: str, workflow_id: int, revision: int | None) -> None:
    """Record that this run starts claiming (a retried task keeps its first row)."""
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    connection.execute(
        insert(Drain.__table__)
        .values(dag_run_id=dag_run_id, workflow_id=workflow_id, started_at=utcnow(), revision=revision, counts={})
        .on_conflict_do_nothing(index_elements=["dag_run_id"])
    )


def finish_drain(connection: Connection, dag_run_id: str, counts: dict[str, Any]) -> None:
    connection.execute(
        update(Drain.__table__).where(_d.dag_run_id == dag_run_id).values(finished_at=utcnow(), counts=counts)
    )


def started_runs(connection: Connection, dag_run_ids: Iterable[str]) -> set[str]:
    """Which of these runs have started claiming."""
    ids = list(dag_run_ids)
    if not ids:
        return set()
    return set(connection.scalars(select(_d.dag_run_id).where(_d.dag_run_id.in_(ids))))
