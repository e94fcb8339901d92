"""A polled window in the inbox at scale, on SQLite and PostgreSQL: storing it, what still needs work, setting aside."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from connectors.registry.db import session_scope
from connectors.registry.inbox import (
    NewEvent,
    claim_events,
    finish_events,
    store_pending_events,
)
from connectors.registry.models import Event, EventStatus, Workflow
from connectors.spec import Catalog
from connectors.spec.triggers import PollingTriggerSpec
from connectors.workflows.polled_records import record_key, store_polled_records
from connectors.workflows.quality import SUPERSEDED, set_aside
from connectors.workflows.spec import QualitySpec

ROWS = 20_000
QUALITY = QualitySpec(sku_field="sku", location_field="warehouseId", quantity_field="sellable")


@pytest.fixture(scope="module")
def trigger() -> PollingTriggerSpec:
    return Catalog.load().get("eshopbox@1.0.0").triggers["inventory_changed"]  # type: ignore[return-value]


@pytest.fixture
def workflow_id(registry_url: str) -> int:
    with session_scope() as session:
        row = Workflow(client="test", key="stock", name="stock", trigger_app="eshopbox", trigger_version="1.0.0",
                       trigger_connection="c", trigger_key="inventory_changed")  # fmt: skip
        session.add(row)
        session.flush()
        return row.id


def window(start: int, count: int) -> list[dict[str, Any]]:
    return [
        {
            "sku": f"SKU-{n:06d}",
            "warehouseId": "GGN",
            "sellable": n % 40,
            "updatedAt": f"2026-11-20T10:{n % 60:02d}:00Z",
        }
        for n in range(start, start + count)
    ]


def stored(workflow_id: int) -> dict[str, tuple[int, EventStatus, bytes]]:
    with session_scope() as session:
        rows = session.execute(select(Event.dedupe_key, Event.id, Event.status, Event.payload)
                               .where(Event.workflow_id == workflow_id))  # fmt: skip
        return {key: (event_id, status, payload) for key, event_id, status, payload in rows}


def test_a_large_window_is_stored_once_and_pending_until_finished(
    workflow_id: int, trigger: PollingTriggerSpec
) -> None:
    records = window(0, ROWS)
    pending = store_polled_records(workflow_id, trigger, records)
    assert [record for _, record in pending] == records  # event ids follow the window's order
    ids = [event_id for event_id, _ in pending]
    assert ids == sorted(set(ids))
    rows = stored(workflow_id)
    assert len(rows) == ROWS
    for event_id, record in pending[:: ROWS // 50]:
        assert rows[record_key(trigger, record)][0] == event_id
        assert json.loads(rows[record_key(trigger, record)][2]) == record

    # the next window overlaps this one: records stored already come back with their ids, new ones are added
    again = store_polled_records(workflow_id, trigger, window(ROWS - 1_000, 1_500))
    assert [event_id for event_id, _ in again[:1_000]] == ids[-1_000:]
    assert len(again) == 1_500 and min(event_id for event_id, _ in again[1_000:]) > max(ids)
    assert len(stored(workflow_id)) == ROWS + 500

    # finished events are no longer pending; a running one still is
    with session_scope() as session:
        finished = finish_events(session.connection(), [
            *(_outcome(i, EventStatus.FILTERED, "superseded") for i in ids[:5_000]),
            *(_outcome(i, EventStatus.FAILED, "quality: SKU missing") for i in ids[5_000:6_000]),
        ])  # fmt: skip
    assert finished == 6_000
    with session_scope() as session:
        (claimed,) = claim_events(session.connection(), workflow_id, "run-1", 1, _lease())
    assert claimed.id == ids[6_000]
    third = store_polled_records(workflow_id, trigger, records)
    assert [event_id for event_id, _ in third] == ids[6_000:]


def test_keys_and_headers_with_special_characters_round_trip(workflow_id: int, trigger: PollingTriggerSpec) -> None:
    odd = ["tab\there", "new\nline", "back\\slash", "colon:sku", "carriage\rreturn", "ünïcödé ✓", "quote'\"", "x" * 300]
    records = [{"sku": sku, "warehouseId": "G\tG", "sellable": 1, "updatedAt": "2026-11-20T10:00:00Z"} for sku in odd]
    pending = store_polled_records(workflow_id, trigger, records)
    rows = stored(workflow_id)
    assert len(pending) == len(rows) == len(odd)
    for event_id, record in pending:
        assert (
            rows[record_key(trigger, record)][0] == event_id
            and json.loads(rows[record_key(trigger, record)][2]) == record
        )
    headers = {"x-note": "a\tb\\c\nd", "n": 1}
    events = [NewEvent(workflow_id, "h1", b"\x00\xff\\x", headers), NewEvent(workflow_id, "h1", b"second")]
    with session_scope() as session:
        first = store_pending_events(session.connection(), events)
    with session_scope() as session:
        event = session.get_one(Event, first[(workflow_id, "h1")])
        assert (event.payload, event.headers, event.status) == (b"\x00\xff\\x", headers, EventStatus.RECEIVED)
    assert len(first) == 1


def test_set_aside_finishes_a_large_windows_bad_and_superseded_rows(
    workflow_id: int, trigger: PollingTriggerSpec
) -> None:
    records = window(0, ROWS)
    for n in range(0, ROWS, 100):
        records[n]["sellable"] = -1
    older = [{**r, "updatedAt": "2026-11-20T09:00:00Z"} for r in records[1:ROWS:200]]
    pending = store_polled_records(workflow_id, trigger, records + older)
    params = {"sku_map": {r["sku"]: 1 for r in records[: ROWS - 101]}}  # the last 101 SKUs are not mapped
    assert set_aside(pending, QUALITY, params, trigger.updated_at_field) == 100 + 200 + 101 - 1
    with session_scope() as session:
        counts = dict(session.execute(select(Event.status, func.count()).group_by(Event.status)).all())
        errors = dict(session.execute(select(Event.error, func.count()).where(Event.status != EventStatus.RECEIVED)
                                      .group_by(Event.error)).all())  # fmt: skip
    assert counts == {EventStatus.RECEIVED: ROWS - 300, EventStatus.FILTERED: 100, EventStatus.FAILED: 300}
    assert errors == {SUPERSEDED: 100, "quality: quantity below 0": 199, "quality: SKU not in the SKU map": 100,
                      "quality: SKU not in the SKU map; quantity below 0": 1}  # fmt: skip
    # the next poll of the same window finds only the rows still to push
    assert len(store_polled_records(workflow_id, trigger, records + older)) == ROWS - 300


def test_finish_events_leaves_running_and_final_events_alone(workflow_id: int) -> None:
    with session_scope() as session:
        ids = store_pending_events(session.connection(), [NewEvent(workflow_id, f"k{n}", b"{}") for n in range(4)])
    a, b, c, d = (ids[(workflow_id, f"k{n}")] for n in range(4))
    with session_scope() as session:
        claim_events(session.connection(), workflow_id, "run-1", 1, _lease())  # a is running
        assert finish_events(session.connection(), [_outcome(b, EventStatus.DONE, None)]) == 1
    with session_scope() as session:
        changed = finish_events(session.connection(), [
            _outcome(a, EventStatus.FAILED, "x"), _outcome(b, EventStatus.FAILED, "x"),
            _outcome(c, EventStatus.FAILED, "x"), _outcome(d, EventStatus.FILTERED, "y"),
        ])  # fmt: skip
        assert changed == 2 and finish_events(session.connection(), []) == 0
    with session_scope() as session:
        states = {e.id: (e.status, e.error) for e in session.scalars(select(Event))}
    assert states == {a: (EventStatus.RUNNING, None), b: (EventStatus.DONE, None),
                      c: (EventStatus.FAILED, "x"), d: (EventStatus.FILTERED, "y")}  # fmt: skip


def _outcome(event_id: int, status: EventStatus, error: str | None) -> Any:
    from connectors.registry.inbox import EventOutcome

    return EventOutcome(event_id, status, error)


def _lease() -> Any:
    import datetime as dt

    return dt.timedelta(minutes=5)
