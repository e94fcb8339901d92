"""Polled records as inbox events, and a batch of them processed event by event."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from connectors.registry.db import session_scope
from connectors.registry.inbox import pending_events, set_status, store_event
from connectors.registry.models import Event, EventStatus
from connectors.runtime.conditions import evaluate_conditions
from connectors.runtime.errors import IntegrationError
from connectors.runtime.paths import dig
from connectors.runtime.templating import TemplateError
from connectors.spec.triggers import PollingTriggerSpec
from connectors.workflows.engine import ClientFactory, run_steps
from connectors.workflows.spec import WorkflowSpec


def record_key(trigger: PollingTriggerSpec, record: dict[str, Any]) -> str:
    """Identity of one version of a record: its id field(s) and, when declared, its updated-at value."""
    fields = trigger.id_field if isinstance(trigger.id_field, list) else [trigger.id_field]
    parts = [str(dig(record, name)) for name in fields]
    if trigger.updated_at_field:
        parts.append(str(dig(record, trigger.updated_at_field)))
    return ":".join(parts)


def store_polled_records(workflow_id: int, trigger: PollingTriggerSpec, records: Iterable[dict[str, Any]]) -> list[int]:
    """Store each record as an event (deduped); the ids of the events that still need work."""
    with session_scope() as session:
        keys = []
        for record in records:
            key = record_key(trigger, record)
            store_event(session, workflow_id, key, json.dumps(record, sort_keys=True).encode())
            keys.append(key)
        return [event.id for event in pending_events(session, workflow_id, keys)]


@dataclass
class BatchSummary:
    succeeded: list[int] = field(default_factory=list)
    filtered: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)


def load_events(event_ids: Sequence[int]) -> list[Event]:
    with session_scope() as session:
        return [session.get_one(Event, event_id) for event_id in event_ids]


def process_events(
    spec: WorkflowSpec, workflow_id: int, event_ids: Sequence[int], clients: ClientFactory
) -> BatchSummary:
    """Conditions then steps for each event; one event's failure is recorded and does not stop the others."""
    summary = BatchSummary()
    for event in load_events(event_ids):
        data = json.loads(event.payload)
        passed, reason = evaluate_conditions(spec.conditions, data)
        if not passed:
            _finish(event.id, EventStatus.FILTERED, reason)
            summary.filtered.append(event.id)
            continue
        try:
            run_steps(spec, workflow_id, event.dedupe_key, data, clients)
        except (IntegrationError, TemplateError) as exc:
            _finish(event.id, EventStatus.FAILED, f"{type(exc).__name__}: {exc}")
            summary.failed[event.id] = str(exc)
            continue
        _finish(event.id, EventStatus.SUCCEEDED)
        summary.succeeded.append(event.id)
    return summary


def _finish(event_id: int, status: EventStatus, error: str | None = None) -> None:
    with session_scope() as session:
        set_status(session, event_id, status, error=error)
