"""The action log: one row per (workflow, event, step). A step already logged as done is not sent again."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.registry.models import ActionLogEntry, ActionOutcome

DONE = (ActionOutcome.SUCCEEDED, ActionOutcome.FOUND, ActionOutcome.NOT_FOUND)


def logged_step(session: Session, workflow_id: int, dedupe_key: str, step_key: str) -> ActionLogEntry | None:
    return session.scalar(
        select(ActionLogEntry).where(
            ActionLogEntry.workflow_id == workflow_id,
            ActionLogEntry.dedupe_key == dedupe_key,
            ActionLogEntry.step_key == step_key,
        )
    )


def record_step(
    session: Session,
    workflow_id: int,
    dedupe_key: str,
    step_key: str,
    outcome: ActionOutcome,
    *,
    status_code: int | None = None,
    result: Any = None,
    request: dict[str, Any] | None = None,
    error: str | None = None,
) -> ActionLogEntry:
    """Insert or update the step's row; failed attempts are counted and keep their reason for replay."""
    entry = logged_step(session, workflow_id, dedupe_key, step_key)
    if entry is None:
        entry = ActionLogEntry(workflow_id=workflow_id, dedupe_key=dedupe_key, step_key=step_key, attempts=0)
        session.add(entry)
    entry.outcome, entry.status_code, entry.error = outcome, status_code, error
    entry.result = {"value": result}
    entry.request, entry.attempts = request, (entry.attempts or 0) + 1
    session.flush()
    return entry
