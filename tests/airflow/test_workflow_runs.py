"""The five seed workflows run as real DAG runs (`dag.test()`) against the sandboxes."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from connectors.factory import register_workflow_dags
from connectors.registry.db import session_scope
from connectors.registry.inbox import NewEvent, requeue_event, store_events
from connectors.registry.models import ActionLogEntry, Event, EventStatus
from tests.unit.sandbox.fixtures import Sandbox

pytestmark = pytest.mark.usefixtures("airflow_db")


def deliver(workflow_id: int, key: str, payload: dict[str, Any]) -> int:
    """What the webhook receiver does before waking the DAG: store the event."""
    with session_scope() as session:
        (stored,) = store_events(session.connection(), [NewEvent(workflow_id, key, json.dumps(payload).encode())])
        return stored.event_id


def run(dag_id: str, **kwargs: Any) -> Any:
    dag = register_workflow_dags({})[dag_id]
    return dag.test(**kwargs)


def event_status(event_id: int) -> tuple[EventStatus, str | None]:
    with session_scope() as session:
        event = session.get_one(Event, event_id)
        return event.status, event.error


def create_shopify_order(sandbox: Sandbox) -> dict[str, Any]:
    order = sandbox.control("shopify", "/orders", {"sku": "ESB-TEE-RED-M", "quantity": 2, "price": "499.00"})
    return order.get("order", order)


def eshopbox_order_for(sandbox: Sandbox, shopify_order: dict[str, Any]) -> dict[str, Any]:
    state = sandbox.control("eshopbox", "/state", method="GET")
    matches = [o for o in state["orders"] if o["customerOrderNumber"] == str(shopify_order["id"])]
    assert len(matches) == 1, state["orders"]
    return matches[0]


def test_shopify_order_created_becomes_an_eshopbox_order_once(sandbox: Sandbox, demo: dict[str, int]) -> None:
    order = create_shopify_order(sandbox)
    event_id = deliver(demo["shopify_order_to_eshopbox"], "webhook-1", order)
    dag_run = run("wf.demo.shopify_order_to_eshopbox")
    assert dag_run.state == "success"
    created = eshopbox_order_for(sandbox, order)
    assert created["externalChannelID"] == "SHOPIFY-DEMO"
    assert [(i["itemID"], i["quantity"]) for i in created["items"]] == [("ESB-TEE-RED-M", 2)]
    assert event_status(event_id) == (EventStatus.DONE, None)

    # a replay of the same event, and a redelivery stored under a new key: neither creates a second order
    with session_scope() as session:
        requeue_event(session, event_id)
    run("wf.demo.shopify_order_to_eshopbox")
    assert event_status(event_id) == (EventStatus.DONE, None)
    again = deliver(demo["shopify_order_to_eshopbox"], "webhook-2", order)
    assert run("wf.demo.shopify_order_to_eshopbox").state == "success"
    assert event_status(again) == (EventStatus.DONE, None)
    eshopbox_order_for(sandbox, order)  # still exactly one
    with session_scope() as session:
        outcome = session.scalar(select(ActionLogEntry.outcome).where(ActionLogEntry.dedupe_key == "webhook-2"))
    assert outcome == "found"


def ship(sandbox: Sandbox, demo: dict[str, int], order: dict[str, Any], status: str) -> dict[str, Any]:
    """Create the Eshopbox order through workflow 1, then move its shipment to `status`."""
    event_id = deliver(demo["shopify_order_to_eshopbox"], f"order-{order['id']}", order)
    assert run("wf.demo.shopify_order_to_eshopbox").state == "success"
    assert event_status(event_id) == (EventStatus.DONE, None)
    state = sandbox.control("eshopbox", "/state", method="GET")
    shipment = next(s for s in state["shipments"] if s["customerOrderNumber"] == str(order["id"]))
    moved = sandbox.control("eshopbox", f"/shipments/{shipment['externalShipmentID']}/status", {"status": status})
    return moved.get("shipment", moved)


def pack_and_fulfil(sandbox: Sandbox, workflows: dict[str, int], order: dict[str, Any]) -> dict[str, Any]:
    """The order's shipment packed in Eshopbox, and the Shopify fulfillment created by workflow 2."""
    packed = ship(sandbox, workflows, order, "packed")
    event_id = deliver(workflows["eshopbox_packed_to_shopify_fulfillment"], f"packed-{order['id']}", packed)
    assert run("wf.demo.eshopbox_packed_to_shopify_fulfillment").state == "success"
    assert event_status(event_id) == (EventStatus.DONE, None)
    return packed


def test_packed_shipment_creates_a_shopify_fulfillment_with_tracking(sandbox: Sandbox, demo: dict[str, int]) -> None:
    order = create_shopify_order(sandbox)
    shipment = ship(sandbox, demo, order, "packed")
    key = f"{shipment['externalShipmentID']}:packed"
    event_id = deliver(demo["eshopbox_packed_to_shopify_fulfillment"], key, shipment)
    assert run("wf.demo.eshopbox_packed_to_shopify_fulfillment").state == "success"
    fulfillments = [f for f in sandbox.control("shopify", "/state", method="GET")["fulfillments"]
                    if f["order_id"] == order["id"]]  # fmt: skip
    assert len(fulfillments) == 1
    assert fulfillments[0]["tracking_number"] == shipment["trackingID"]
    assert event_status(event_id)[0] is EventStatus.DONE


def test_shipment_event_that_fails_the_condition_is_filtered(sandbox: Sandbox, demo: dict[str, int]) -> None:
    order = create_shopify_order(sandbox)
    shipment = ship(sandbox, demo, order, "packed")
    event_id = deliver(demo["eshopbox_delivered_to_shopify_event"], "not-delivered", shipment)
    run("wf.demo.eshopbox_delivered_to_shopify_event")
    status, reason = event_status(event_id)
    assert status is EventStatus.FILTERED and reason == "condition not met: status equals 'delivered' (was 'packed')"
    assert sandbox.control("shopify", "/state", method="GET")["fulfillment_events"] == []


def test_delivered_shipment_adds_the_shopify_delivered_event(sandbox: Sandbox, demo: dict[str, int]) -> None:
    order = create_shopify_order(sandbox)
    packed = pack_and_fulfil(sandbox, demo, order)
    delivered = sandbox.control(
        "eshopbox", f"/shipments/{packed['externalShipmentID']}/status", {"status": "delivered"}
    )
    delivered = delivered.get("shipment", delivered)
    event_id = deliver(demo["eshopbox_delivered_to_shopify_event"], "delivered", delivered)
    assert run("wf.demo.eshopbox_delivered_to_shopify_event").state == "success"
    assert event_status(event_id) == (EventStatus.DONE, None)
    events = sandbox.control("shopify", "/state", method="GET")["fulfillment_events"]
    assert [(e["order_id"], e["status"]) for e in events] == [(order["id"], "delivered")]


def test_delhivery_delivered_scan_marks_the_eshopbox_shipment_delivered(sandbox: Sandbox, demo: dict[str, int]) -> None:
    order = create_shopify_order(sandbox)
    packed = ship(sandbox, demo, order, "packed")
    scan = {
        "Shipment": {
            "AWB": packed["trackingID"],
            "ReferenceNo": str(order["id"]),
            "Status": {"Status": "Delivered", "StatusType": "DL", "StatusDateTime": "2026-11-28T10:00:00",
                       "StatusLocation": "Gurgaon_DC", "Instructions": "Delivered to consignee"},
        }
    }  # fmt: skip
    event_id = deliver(demo["delhivery_delivered_to_eshopbox"], "scan-1", scan)
    assert run("wf.demo.delhivery_delivered_to_eshopbox").state == "success"
    assert event_status(event_id) == (EventStatus.DONE, None)
    shipments = sandbox.control("eshopbox", "/state", method="GET")["shipments"]
    assert next(s for s in shipments if s["trackingID"] == packed["trackingID"])["status"] == "delivered"


def test_polling_run_pushes_the_windows_stock_changes_and_keeps_bad_rows_aside(
    sandbox: Sandbox, demo: dict[str, int]
) -> None:
    window_start = dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)
    inside = (window_start + dt.timedelta(minutes=10)).isoformat()
    later = (window_start + dt.timedelta(minutes=20)).isoformat()
    outside = (window_start + dt.timedelta(hours=2)).isoformat()
    sandbox.control("eshopbox", "/inventory", {"items": [
        {"sku": "ESB-TEE-RED-M", "warehouseId": "GGN", "sellable": 5, "updatedAt": inside},
        {"sku": "ESB-TEE-RED-M", "warehouseId": "GGN", "sellable": 7, "updatedAt": later},
        {"sku": "ESB-MUG-WHITE", "warehouseId": "GGN", "sellable": 3, "updatedAt": inside},
        {"sku": "NOT-IN-SHOPIFY", "warehouseId": "GGN", "sellable": 9, "updatedAt": inside},
        {"sku": "ESB-TEE-BLUE-L", "warehouseId": "BLR", "sellable": -2, "updatedAt": inside},
        {"sku": "ESB-TEE-BLUE-L", "warehouseId": "GGN", "sellable": 11, "updatedAt": outside},
    ]})  # fmt: skip
    # a manual run at 11:00 covers the hour before it: [10:00, 11:00)
    run("wf.demo.eshopbox_stock_to_shopify", logical_date=window_start + dt.timedelta(hours=1))
    levels = {
        (level["inventory_item_id"], level["available"])
        for level in sandbox.control("shopify", "/state", method="GET")["inventory_levels"]
    }
    assert (44000000001, 7) in levels and (44000000003, 3) in levels
    assert (44000000001, 5) not in levels and (44000000002, 11) not in levels
    with session_scope() as session:
        kept_aside = session.scalars(select(Event.error).where(Event.status == EventStatus.FAILED)).all()
    assert sorted(kept_aside) == [  # one by the quality gate, one by the step (Shopify has no such SKU)
        "inventory_item_id: the app has no item for sku 'NOT-IN-SHOPIFY' (search 'find_inventory_items')",
        "quality: quantity below 0",
    ]


def test_reconciliation_runs_push_again_what_was_changed_by_hand_and_full_takes_every_sku(
    sandbox: Sandbox, demo: dict[str, int]
) -> None:
    dag_id, window_start = "wf.demo.eshopbox_stock_to_shopify", dt.datetime(2026, 11, 21, 10, tzinfo=dt.UTC)
    sandbox.control("eshopbox", "/inventory", {"items": [
        {"sku": "ESB-TEE-RED-M", "warehouseId": "GGN", "sellable": 6,
         "updatedAt": (window_start + dt.timedelta(minutes=5)).isoformat()},
        {"sku": "ESB-MUG-WHITE", "warehouseId": "GGN", "sellable": 8,
         "updatedAt": (window_start - dt.timedelta(days=3)).isoformat()},  # changed long before the window
    ]})  # fmt: skip

    def levels() -> dict[str, int]:
        return sandbox.control("shopify", "/inventory_levels?location_id=65000000001", method="GET")

    logical_date = window_start + dt.timedelta(hours=1)
    assert run(dag_id, logical_date=logical_date).state == "success"
    assert levels()["ESB-TEE-RED-M"] == 6 and levels().get("ESB-MUG-WHITE") != 8
    with sandbox.state.lock:  # someone sets the level in Shopify by hand
        for level in sandbox.state.shopify.inventory_levels.values():
            level["available"] = 0
    assert run(dag_id, logical_date=logical_date).state == "success"
    assert levels()["ESB-TEE-RED-M"] == 0  # the window again: its records were done, nothing is sent

    assert run(dag_id, logical_date=logical_date, run_conf={"reconcile": True}).state == "success"
    assert levels()["ESB-TEE-RED-M"] == 6 and levels().get("ESB-MUG-WHITE", 0) == 0
    assert run(dag_id, logical_date=logical_date, run_conf={"reconcile": "full"}).state == "success"
    assert levels()["ESB-TEE-RED-M"] == 6 and levels()["ESB-MUG-WHITE"] == 8


def test_secrets_stay_out_of_task_logs_xcoms_and_databases(
    sandbox: Sandbox, demo: dict[str, int], sqlite_registry: str, capfd: pytest.CaptureFixture[str]
) -> None:
    from connectors.hooks.app import token_store

    order = create_shopify_order(sandbox)
    event_id = deliver(demo["shopify_order_to_eshopbox"], "secret-check", order)
    assert run("wf.demo.shopify_order_to_eshopbox").state == "success"
    assert event_status(event_id) == (EventStatus.DONE, None)
    captured = capfd.readouterr()
    stored = token_store().load("eshopbox@1.0.0:demo_eshopbox")  # the access token the run obtained
    assert stored is not None
    secrets = [
        "shpat_sandbox_demo_token", "sandbox-shopify-webhook-secret", "sandbox-client-secret",
        "sandbox-refresh-token", stored.access_token,
    ]  # fmt: skip
    databases = [Path(sqlite_registry.removeprefix("sqlite:///")), Path(os.environ["AIRFLOW_HOME"]) / "airflow.db"]
    stored_bytes = b"".join(p.read_bytes() for db in databases for p in db.parent.glob(db.name + "*"))
    assert "process_events" in captured.out + captured.err  # the task logs were captured
    for secret in secrets:
        assert secret not in captured.out + captured.err
        assert secret.encode() not in stored_bytes
