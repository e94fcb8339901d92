"""The action log: one row per (workflow, dedupe key, step). A step already logged as done is not sent again."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, select
from sqlalchemy.orm import Session

from connectors.registry.db import insert_for, upsert_many
from connectors.registry.models import ActionLogEntry, ActionOutcome, utcnow

DONE = (ActionOutcome.SUCCEEDED, ActionOutcome.FOUND, ActionOutcome.NOT_FOUND)
_a = ActionLogEntry.__table__.c


def logged_step(session: Session, workflow_id: int, dedupe_key: str, step_key: str) -> ActionLogEntry | None:
    return session.scalar(
        select(ActionLogEntry).where(
            ActionLogEntry.workflow_id == workflow_id,
            ActionLogEntry.dedupe_key == dedupe_key,
            ActionLogEntry.step_key == step_key,
        )
    )


def done_steps(session: Session | Connection, workflow_id: int, dedupe_key: str) -> dict[str, Any]:
    """Step key -> output of every step of this event already done, in one query."""
    query = select(_a.step_key, _a.result).where(
        _a.workflow_id == workflow_id, _a.dedupe_key == dedupe_key, _a.outcome.in_(DONE)
    )
    return {step_key: (result or {}).get("value") for step_key, result in session.execute(query)}


def record_step(
    session: Session | Connection,
    workflow_id: int,
    dedupe_key: str,
    step_key: str,
    outcome: ActionOutcome,
    *,
    status_code: int | None = None,
    result: Any = None,
    request: dict[str, Any] | None = None,
    error: str | None = None,
) -> None:
    """Insert or update the step's row in one statement; attempts are counted, a failure keeps its reason."""
    dialect = session.dialect if isinstance(session, Connection) else session.get_bind().dialect
    insert = insert_for(dialect.name)
    now = utcnow()
    values = {
        "outcome": outcome,
        "status_code": status_code,
        "result": {"value": result},
        "request": request,
        "error": error,
        "updated_at": now,
    }
    statement = insert(ActionLogEntry.__table__).values(
        workflow_id=workflow_id, dedupe_key=dedupe_key, step_key=step_key, attempts=1, created_at=now, **values
    )
    session.execute(  # a step logged as done stays done: a late failure of a second sender does not undo it
        statement.on_conflict_do_update(
            index_elements=["workflow_id", "dedupe_key", "step_key"],
            set_={**values, "attempts": _a.attempts + 1},
            where=_a.outcome.not_in(DONE),
        )
    )


@dataclass(frozen=True)
class LoggedStep:
    """One event's outcome of one step, for `record_steps`."""

    dedupe_key: str
    outcome: ActionOutcome
    status_code: int | None = None
    result: Any = None
    request: dict[str, Any] | None = None
    error: str | None = None


def done_for(connection: Connection, workflow_id: int, step_key: str, dedupe_keys: Sequence[str]) -> set[str]:
    """The dedupe keys among `dedupe_keys` whose step is already done, in one query."""
    query = select(_a.dedupe_key).where(
        _a.workflow_id == workflow_id, _a.step_key == step_key, _a.outcome.in_(DONE), _a.dedupe_key.in_(dedupe_keys)
    )
    return set(connection.scalars(query))


def record_steps(connection: Connection, workflow_id: int, step_key: str, steps: Sequence[LoggedStep]) -> None:
    """`record_step` for many events of one step, in a few statements."""
    if not steps:
        return
    now = utcnow()
    rows = [
        {
            "workflow_id": workflow_id,
            "dedupe_key": s.dedupe_key,
            "step_key": step_key,
            "attempts": 1,
            "created_at": now,
            "updated_at": now,
            "outcome": s.outcome,
            "status_code": s.status_code,
            "result": {"value": s.result},
            "request": s.request,
            "error": s.error,
        }  # fmt: skip
        for s in steps
    ]
    upsert_many(
        connection, ActionLogEntry.__table__, rows, ["workflow_id", "dedupe_key", "step_key"],
        lambda excluded: {
            **{name: excluded[name] for name in ("outcome", "status_code", "result", "request", "error")},
            "updated_at": excluded.updated_at,
            "attempts": _a.attempts + 1,
        },
        where=and_(*(_a.outcome != outcome for outcome in DONE)),  # no expanding IN: SQLite runs an executemany
    )  # fmt: skip
