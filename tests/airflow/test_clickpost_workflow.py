"""The ClickPost seed workflow runs as real DAG runs (`dag.test()`): ClickPost's status webhooks for an AWB become
Eshopbox courier statuses with ClickPost's codes passed through, always the AWB's newest status (a scan arriving
late never moves the shipment back), statuses Eshopbox does not take are filtered, and an unknown courier partner
fails the event with the reason."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.registry.models import EventStatus
from connectors.runtime.verification import dedupe_key, verify_webhook_signature
from connectors.spec import load_app_version
from connectors.spec.catalog import BUILTIN_APPS
from tests.airflow.test_workflow_runs import create_shopify_order, deliver, event_status, run, ship
from tests.unit.sandbox.fixtures import Receiver, Sandbox

pytestmark = pytest.mark.usefixtures("airflow_db")

DAG_ID = "wf.demo.clickpost_status_to_eshopbox"
TRIGGER = load_app_version(BUILTIN_APPS / "clickpost" / "1.0.0.yaml").triggers["status_pushed"]
WEBHOOK_KEY = "sandbox-clickpost-webhook-key"  # demo_clickpost's, set on ClickPost's dashboard
DELHIVERY = 4


def packed_awb(sandbox: Sandbox, demo: dict[str, int], receiver: Receiver) -> str:
    """An Eshopbox shipment packed with a Delhivery AWB, registered for tracking with ClickPost, whose webhook
    (with the demo connection's key) points at `receiver`."""
    sandbox.control("clickpost", "/webhook", {"url": f"{receiver.url}/hooks/clickpost", "key": WEBHOOK_KEY})
    packed = ship(sandbox, demo, create_shopify_order(sandbox), "packed")
    sandbox.control("clickpost", "/awbs", {"waybill": packed["trackingID"], "cp_id": DELHIVERY,
                                           "reference_number": packed["customerOrderNumber"]})  # fmt: skip
    return str(packed["trackingID"])


def push(sandbox: Sandbox, receiver: Receiver, workflows: dict[str, int], awb: str, code: int, at: str) -> int:
    """A courier scan recorded in ClickPost and sent to its webhook, checked and stored as the platform's receiver
    does (the demo connection's webhook_key, the trigger's dedupe key)."""
    before = len(receiver.received)
    sandbox.control("clickpost", "/scan?wait=true", {"waybill": awb, "code": code, "at": at,
                                                     "location": "Gurgaon_Bilaspur_HB (Haryana)"})  # fmt: skip
    delivery = receiver.wait_for(before + 1)[before]
    context = {"auth": {"username": "u", "key": "k", "webhook_key": WEBHOOK_KEY}, "properties": {}, "env": {}}
    verify_webhook_signature(TRIGGER, delivery.body, delivery.headers, context)
    key = dedupe_key(TRIGGER, delivery.json, delivery.headers)
    return deliver(workflows["clickpost_status_to_eshopbox"], key, delivery.json)


def eshopbox_shipment(sandbox: Sandbox, awb: str) -> dict[str, Any]:
    shipments = sandbox.control("eshopbox", "/state", method="GET")["shipments"]
    return next(s for s in shipments if s["trackingID"] == awb)


def last_courier_update(sandbox: Sandbox) -> dict[str, Any]:
    return sandbox.control("eshopbox", "/state", method="GET")["courier_updates"][-1]  # type: ignore[no-any-return]


def test_clickpost_statuses_reach_eshopbox_and_a_late_scan_does_not_move_it_back(
    sandbox: Sandbox, demo: dict[str, int], receiver: Receiver
) -> None:
    awb = packed_awb(sandbox, demo, receiver)

    picked_up = push(sandbox, receiver, demo, awb, 4, "2026-11-28T06:13:52Z")
    assert run(DAG_ID).state == "success"
    assert event_status(picked_up) == (EventStatus.DONE, None)
    assert eshopbox_shipment(sandbox, awb)["status"] == "picked_up"
    update = last_courier_update(sandbox)
    assert (update["waybill"], update["cp_name"], update["status_code"]) == (awb, "Delhivery", 4)
    assert (update["status"], update["status_description"]) == ("PICKED UP", "PickedUp")
    assert (update["location"], update["timestamp"]) == ("Gurgaon_Bilaspur_HB (Haryana)", "2026-11-28T06:13:52Z")

    delivered = push(sandbox, receiver, demo, awb, 8, "2026-11-29T10:05:00Z")
    in_transit_late = push(
        sandbox, receiver, demo, awb, 5, "2026-11-28T18:00:00Z"
    )  # an older scan, sent after delivery
    assert run(DAG_ID).state == "success"
    assert event_status(delivered)[0] is EventStatus.DONE and event_status(in_transit_late)[0] is EventStatus.DONE
    assert eshopbox_shipment(sandbox, awb)["status"] == "delivered"
    assert last_courier_update(sandbox)["status_code"] == 8  # the late scan carried latest_status Delivered


def test_a_status_eshopbox_does_not_take_is_filtered(
    sandbox: Sandbox, demo: dict[str, int], receiver: Receiver
) -> None:
    awb = packed_awb(sandbox, demo, receiver)
    not_serviceable = push(sandbox, receiver, demo, awb, 7, "2026-11-28T09:00:00Z")
    run(DAG_ID)
    status, reason = event_status(not_serviceable)
    assert status is EventStatus.FILTERED and "additional.latest_status.clickpost_status_code" in (reason or "")
    assert eshopbox_shipment(sandbox, awb)["status"] == "packed"


def test_a_courier_partner_missing_from_the_table_fails_the_event_for_replay(
    sandbox: Sandbox, demo: dict[str, int], receiver: Receiver
) -> None:
    awb = packed_awb(sandbox, demo, receiver)
    payload = sandbox.control("clickpost", "/scan", {"waybill": awb, "code": 5})["push"]
    unknown = deliver(demo["clickpost_status_to_eshopbox"], "other-courier", {**payload, "cp_id": 99})
    run(DAG_ID)
    status, reason = event_status(unknown)
    assert status is EventStatus.FAILED and "lookup table 'courier_name' has no row for 99" in (reason or "")
    assert eshopbox_shipment(sandbox, awb)["status"] == "packed"
