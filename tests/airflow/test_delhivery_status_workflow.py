"""The Delhivery status seed workflow runs as real DAG runs (`dag.test()`): every scan Delhivery pushes for a
waybill Eshopbox packed becomes an Eshopbox courier status, the ClickPost code picked by the workflow's lookup
tables from the scan's StatusType, Status and NSL code (forward, NDR, return to origin, delivered)."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.registry.models import EventStatus
from connectors.runtime.verification import dedupe_key
from connectors.spec import load_app_version
from connectors.spec.catalog import BUILTIN_APPS, Catalog
from connectors.webhooks.routing import load_routing_table
from tests.airflow.test_workflow_runs import create_shopify_order, deliver, event_status, run, ship
from tests.unit.sandbox.fixtures import Sandbox

pytestmark = pytest.mark.usefixtures("airflow_db")

KEY = "delhivery_status_to_eshopbox"
DAG_ID = f"wf.demo.{KEY}"
TRIGGER = load_app_version(BUILTIN_APPS / "delhivery" / "1.1.0.yaml").triggers["scan_pushed"]


def push(sandbox: Sandbox, workflows: dict[str, int], awb: str, status: str, at: str, **scan: str) -> int:
    """A scan recorded at Delhivery, its push stored as the receiver stores it (under its dedupe key)."""
    body = {"waybill": awb, "status": status, "status_datetime": f"{at}+05:30", **scan}
    payload = sandbox.control("delhivery", "/scan", body)["push"]
    return deliver(workflows[KEY], dedupe_key(TRIGGER, payload, {}), payload)


def courier_update(sandbox: Sandbox, awb: str) -> dict[str, Any]:
    updates = sandbox.control("eshopbox", "/state", method="GET")["courier_updates"]
    return next(u for u in reversed(updates) if u["waybill"] == awb)


def shipment_status(sandbox: Sandbox, awb: str) -> str:
    shipments = sandbox.control("eshopbox", "/state", method="GET")["shipments"]
    return str(next(s for s in shipments if s["trackingID"] == awb)["status"])


def packed_awb(sandbox: Sandbox, demo: dict[str, int]) -> str:
    """An Eshopbox shipment packed with a Delhivery waybill (packing manifests it at Delhivery)."""
    return str(ship(sandbox, demo, create_shopify_order(sandbox), "packed")["trackingID"])


def test_an_ndr_then_a_return_to_origin_reach_eshopbox(sandbox: Sandbox, demo: dict[str, int]) -> None:
    awb = packed_awb(sandbox, demo)
    journey = [  # (scan, at, extra) -> (ClickPost code, name, Eshopbox status)
        (("In Transit", "2026-11-28T11:43:52", {"location": "Gurgaon_Bilaspur_HB"}), (5, "INTRANSIT", "intransit")),
        (("Pending", "2026-11-29T18:00:00", {"nsl_code": "EOD-11", "instructions": "Consignee unavailable"}),
         (9, "FAILED_DELIVERY", "failed_delivery")),
        (("In Transit", "2026-11-30T09:00:00", {"status_type": "RT"}), (21, "RTO_INTRANSIT", "rto_intransit")),
        (("Dispatched", "2026-12-01T09:00:00", {"status_type": "RT"}),
         (13, "RTO_OUT_FOR_DELIVERY", "rto_out_for_delivery")),
        (("RTO", "2026-12-01T15:30:00", {"location": "Gurgaon_Bilaspur_HB"}), (14, "RTO_DELIVERED", "rto_delivered")),
    ]  # fmt: skip
    for (status, at, scan), (code, name, eshopbox_status) in journey:
        event = push(sandbox, demo, awb, status, at, **scan)
        assert run(DAG_ID).state == "success"
        assert event_status(event) == (EventStatus.DONE, None), (status, event_status(event))
        update = courier_update(sandbox, awb)
        assert (update["status_code"], update["status"], update["cp_name"]) == (code, name, "Delhivery"), status
        assert update["timestamp"] == f"{at}.000+05:30"
        assert shipment_status(sandbox, awb) == eshopbox_status
    assert courier_update(sandbox, awb)["location"] == "Gurgaon_Bilaspur_HB"


def test_out_for_delivery_then_delivered(sandbox: Sandbox, demo: dict[str, int]) -> None:
    awb = packed_awb(sandbox, demo)
    dispatched = push(sandbox, demo, awb, "Dispatched", "2026-11-29T08:00:00", instructions="Out for delivery")
    delivered = push(sandbox, demo, awb, "Delivered", "2026-11-29T13:10:00", location="Delhi_Okhla_DC (Delhi)")
    assert run(DAG_ID).state == "success"
    assert event_status(dispatched)[0] is EventStatus.DONE and event_status(delivered)[0] is EventStatus.DONE
    update = courier_update(sandbox, awb)
    assert (update["status_code"], update["status"], update["location"]) == (8, "DELIVERED", "Delhi_Okhla_DC (Delhi)")
    assert shipment_status(sandbox, awb) == "delivered"
    codes = [u["status_code"] for u in sandbox.control("eshopbox", "/state", method="GET")["courier_updates"]]
    assert codes == [6, 8]  # one update per scan


def test_a_closing_status_with_no_row_fails_the_event_for_replay(sandbox: Sandbox, demo: dict[str, int]) -> None:
    awb = packed_awb(sandbox, demo)
    unknown = push(sandbox, demo, awb, "Destroyed", "2026-11-29T08:00:00", status_type="DL")
    run(DAG_ID)
    status, reason = event_status(unknown)
    assert status is EventStatus.FAILED and "lookup table 'closed' has no row for 'Destroyed'" in (reason or "")
    assert shipment_status(sandbox, awb) == "packed"


def test_pushes_to_each_delhivery_connection_reach_one_workflow(demo: dict[str, int], sqlite_registry: str) -> None:
    """The 1.0.0 Delivered workflow and this one have their own connections: no fan-out between them."""
    routes = load_routing_table(sqlite_registry, Catalog.load(), 0.0).by_connection
    reached = {conn: [(r.key, r.app_ref) for r in routes[("delhivery", "scan_pushed", conn)]]
               for conn in ("demo_delhivery", "demo_delhivery_all_statuses")}  # fmt: skip
    assert reached == {
        "demo_delhivery": [("delhivery_delivered_to_eshopbox", "delhivery@1.0.0")],
        "demo_delhivery_all_statuses": [(KEY, "delhivery@1.1.0")],
    }
