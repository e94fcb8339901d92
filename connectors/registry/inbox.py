"""The events inbox: store before acknowledging, dedupe per workflow, follow each event's status."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connectors.registry.models import Event, EventStatus

DONE = (EventStatus.SUCCEEDED, EventStatus.FILTERED)


def store_event(
    session: Session, workflow_id: int, dedupe_key: str, payload: bytes, headers: dict[str, Any] | None = None
) -> tuple[Event, bool]:
    """The stored event and whether it is new; a second delivery of the same key returns the first one."""
    existing = session.scalar(select(Event).where(Event.workflow_id == workflow_id, Event.dedupe_key == dedupe_key))
    if existing is not None:
        return existing, False
    event = Event(workflow_id=workflow_id, dedupe_key=dedupe_key, payload=payload, headers=headers or {})
    try:
        with session.begin_nested():
            session.add(event)
    except IntegrityError:  # a concurrent delivery stored it first
        existing = session.scalar(select(Event).where(Event.workflow_id == workflow_id, Event.dedupe_key == dedupe_key))
        assert existing is not None
        return existing, False
    return event, True


def set_status(
    session: Session, event_id: int, status: EventStatus, *, error: str | None = None, dag_run_id: str | None = None
) -> None:
    values: dict[str, Any] = {"status": status, "error": error}
    if dag_run_id is not None:
        values["dag_run_id"] = dag_run_id
    session.execute(update(Event).where(Event.id == event_id).values(**values))


def pending_events(session: Session, workflow_id: int, keys: Sequence[str]) -> list[Event]:
    """Events of these keys that still need work (not succeeded, not filtered), oldest first."""
    return list(
        session.scalars(
            select(Event)
            .where(Event.workflow_id == workflow_id, Event.dedupe_key.in_(keys), Event.status.not_in(DONE))
            .order_by(Event.id)
        )
    )
