"""Drains: the DAG runs that take a workflow's events, as the dispatcher needs to see them.

A run writes its row before its first claim, beats while it works, and announces that it is finishing BEFORE its
last claim (`finishing`, then one more claim; events found mean it goes on). So whenever the dispatcher reads a
run as not finished, an event stored before that read is claimed by it:

- no row yet: the run has not claimed; its first claim comes later;
- a row, not finished, recent heartbeat: its next (or last) claim comes later;
- finished, or silent for longer than `alive_for`: the next event needs a new run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, select, update

from connectors.registry.db import insert_for
from connectors.registry.models import Drain, utcnow

_d = Drain.__table__.c


class DrainState(StrEnum):
    NOT_STARTED = "not_started"
    RUNNING = "running"
    DONE = "done"  # finished, or gone silent


def start_drain(connection: Connection, dag_run_id: str, workflow_id: int, revision: int | None) -> None:
    """Record that this run starts claiming (a retried task starts its row again)."""
    insert = insert_for(connection.dialect.name)
    now = utcnow()
    values = {"started_at": now, "heartbeat_at": now, "finished_at": None, "revision": revision}
    connection.execute(
        insert(Drain.__table__)
        .values(dag_run_id=dag_run_id, workflow_id=workflow_id, counts={}, **values)
        .on_conflict_do_update(index_elements=["dag_run_id"], set_=values)
    )


def beat(connection: Connection, dag_run_id: str, finishing: bool | None = None) -> None:
    """The run is alive; `finishing=True` announces its last claim, `False` takes that back."""
    values: dict[str, Any] = {"heartbeat_at": utcnow()}
    if finishing is not None:
        values["finished_at"] = utcnow() if finishing else None
    connection.execute(update(Drain.__table__).where(_d.dag_run_id == dag_run_id).values(**values))


def finish_drain(connection: Connection, dag_run_id: str, counts: dict[str, Any]) -> None:
    now = utcnow()
    connection.execute(
        update(Drain.__table__)
        .where(_d.dag_run_id == dag_run_id)
        .values(finished_at=now, heartbeat_at=now, counts=counts)
    )


def drain_states(connection: Connection, dag_run_ids: Iterable[str], alive_for: dt.timedelta) -> dict[str, DrainState]:
    """How the dispatcher sees these runs."""
    ids = list(dag_run_ids)
    states = dict.fromkeys(ids, DrainState.NOT_STARTED)
    if not ids:
        return states
    silent_since = utcnow() - alive_for
    for run_id, finished_at, heartbeat_at in connection.execute(
        select(_d.dag_run_id, _d.finished_at, _d.heartbeat_at).where(_d.dag_run_id.in_(ids))
    ):
        if heartbeat_at.tzinfo is None:  # SQLite drops the zone
            heartbeat_at = heartbeat_at.replace(tzinfo=dt.UTC)
        alive = finished_at is None and heartbeat_at >= silent_since
        states[run_id] = DrainState.RUNNING if alive else DrainState.DONE
    return states
