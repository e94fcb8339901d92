"""Polled records as inbox events: one event per version of a record, deduped like webhooks."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from connectors.registry.db import session_scope
from connectors.registry.inbox import NewEvent, store_pending_events
from connectors.runtime.keys import joined_key
from connectors.runtime.paths import dig
from connectors.spec.triggers import PollingTriggerSpec

_payload = json.JSONEncoder(sort_keys=True).encode  # json.dumps(..., sort_keys=True), without an encoder a call


def record_key(trigger: PollingTriggerSpec, record: dict[str, Any]) -> str:
    """Identity of one version of a record: its id field(s) and, when declared, its updated-at value."""
    return _key_of(trigger)(record)


def _key_of(trigger: PollingTriggerSpec) -> Callable[[dict[str, Any]], str]:
    """`record_key` for one trigger, its field lookups resolved once for a whole window."""
    fields = trigger.id_field if isinstance(trigger.id_field, list) else [trigger.id_field]
    getters = [_getter(name) for name in [*fields, *([trigger.updated_at_field] if trigger.updated_at_field else [])]]
    return lambda record: joined_key([get(record) for get in getters])


def _getter(path: str) -> Callable[[Any], Any]:
    """`dig(record, path)`; a plain key of a dict record looked up directly."""
    if path in ("", "$") or "." in path:
        return lambda record: dig(record, path)
    return lambda record: record.get(path) if isinstance(record, dict) else dig(record, path)


def store_polled_records(
    workflow_id: int, trigger: PollingTriggerSpec, records: Iterable[dict[str, Any]], key_suffix: str = ""
) -> list[tuple[int, dict[str, Any]]]:
    """Store each record as an event (deduped); (event id, record) of this window's events that still need work,
    by event id. The inserts return the new events' ids, so only records stored by an earlier window are looked
    up (in chunks): a window of 100,000 records is a few dozen statements. `key_suffix` makes every record a new
    event (a reconciliation run takes records other runs finished)."""
    key_of = _key_of(trigger)
    keyed = {key_of(record) + key_suffix: record for record in records}
    events = [NewEvent(workflow_id, key, _payload(record).encode()) for key, record in keyed.items()]
    with session_scope() as session:
        pending = store_pending_events(session.connection(), events)
    return sorted(((event_id, keyed[key]) for (_, key), event_id in pending.items()), key=lambda pair: pair[0])
