"""Polled records as inbox events: one event per version of a record, deduped like webhooks."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from connectors.registry.db import session_scope
from connectors.registry.inbox import NewEvent, pending_events, store_events
from connectors.runtime.keys import joined_key
from connectors.runtime.paths import dig
from connectors.spec.triggers import PollingTriggerSpec


def record_key(trigger: PollingTriggerSpec, record: dict[str, Any]) -> str:
    """Identity of one version of a record: its id field(s) and, when declared, its updated-at value."""
    fields = trigger.id_field if isinstance(trigger.id_field, list) else [trigger.id_field]
    parts = [dig(record, name) for name in fields]
    if trigger.updated_at_field:
        parts.append(dig(record, trigger.updated_at_field))
    return joined_key(parts)


def store_polled_records(
    workflow_id: int, trigger: PollingTriggerSpec, records: Iterable[dict[str, Any]]
) -> list[tuple[int, dict[str, Any]]]:
    """Store each record as an event (deduped); (event id, record) of this window's events that still need work."""
    keyed = {record_key(trigger, record): record for record in records}
    events = [NewEvent(workflow_id, key, json.dumps(record, sort_keys=True).encode()) for key, record in keyed.items()]
    with session_scope() as session:
        store_events(session.connection(), events)
        pending = pending_events(session, workflow_id, list(keyed))
    return sorted((event_id, keyed[key]) for key, event_id in pending.items())
