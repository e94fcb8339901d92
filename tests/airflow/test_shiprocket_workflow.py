"""The Shiprocket seed workflow runs as real DAG runs (`dag.test()`): Shiprocket's status pushes for a courier AWB
become Eshopbox courier statuses (ClickPost codes through the workflow's lookup tables), each after Shiprocket's
tracking confirms the AWB, with one login reused across runs and a new one once the token expired."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.registry.models import EventStatus
from connectors.runtime.verification import dedupe_key
from connectors.spec import load_app_version
from connectors.spec.catalog import BUILTIN_APPS
from tests.airflow.test_workflow_runs import create_shopify_order, deliver, event_status, run, ship
from tests.unit.sandbox.fixtures import Sandbox

pytestmark = pytest.mark.usefixtures("airflow_db")

DAG_ID = "wf.demo.shiprocket_status_to_eshopbox"
TRIGGER = load_app_version(BUILTIN_APPS / "shiprocket" / "1.0.0.yaml").triggers["status_pushed"]


def push(sandbox: Sandbox, workflows: dict[str, int], awb: str, status_id: int, at: str) -> int:
    """A courier scan recorded in Shiprocket, its push stored as the receiver stores it (under its dedupe key)."""
    scan = {"awb": awb, "shipment_status_id": status_id, "location": "Gurgaon_DC", "at": at}
    payload = sandbox.control("shiprocket", "/scan", scan)["push"]
    return deliver(workflows["shiprocket_status_to_eshopbox"], dedupe_key(TRIGGER, payload, {}), payload)


def eshopbox_shipment(sandbox: Sandbox, awb: str) -> dict[str, Any]:
    shipments = sandbox.control("eshopbox", "/state", method="GET")["shipments"]
    return next(s for s in shipments if s["trackingID"] == awb)


def shiprocket_logins(sandbox: Sandbox) -> int:
    return int(sandbox.control("shiprocket", "/state", method="GET")["login_calls"])


def test_shiprocket_statuses_reach_eshopbox_and_an_expired_token_logs_in_again(
    sandbox: Sandbox, demo: dict[str, int]
) -> None:
    packed = ship(sandbox, demo, create_shopify_order(sandbox), "packed")
    awb = packed["trackingID"]  # the courier's AWB, booked through Shiprocket
    sandbox.control("shiprocket", "/shipments", {"order_id": packed["customerOrderNumber"], "awb": awb})

    picked_up = push(sandbox, demo, awb, 42, "2026-11-28T11:43:52")
    assert run(DAG_ID).state == "success"
    assert event_status(picked_up)[0] is EventStatus.DONE, event_status(picked_up)
    assert eshopbox_shipment(sandbox, awb)["status"] == "picked_up"
    update = sandbox.control("eshopbox", "/state", method="GET")["courier_updates"][-1]
    assert (update["status_code"], update["status"], update["cp_name"]) == (4, "PICKED_UP", "Delhivery Surface")
    assert (update["location"], update["timestamp"]) == ("Gurgaon_DC", "2026-11-28T11:43:52+05:30")
    assert shiprocket_logins(sandbox) == 1

    in_transit = push(sandbox, demo, awb, 18, "2026-11-28T18:00:00")
    assert run(DAG_ID).state == "success"
    assert event_status(in_transit)[0] is EventStatus.DONE and eshopbox_shipment(sandbox, awb)["status"] == "intransit"
    assert shiprocket_logins(sandbox) == 1  # the 10-day token is reused by the next run

    sandbox.control("shiprocket", "/tokens/expire")  # ten days later
    delivered = push(sandbox, demo, awb, 7, "2026-11-29T10:05:00")
    assert run(DAG_ID).state == "success"
    assert event_status(delivered)[0] is EventStatus.DONE, event_status(delivered)
    assert eshopbox_shipment(sandbox, awb)["status"] == "delivered"
    assert shiprocket_logins(sandbox) == 2  # the 401 logged the API user in again, once


def test_a_push_for_an_awb_shiprocket_does_not_track_changes_nothing(sandbox: Sandbox, demo: dict[str, int]) -> None:
    packed = ship(sandbox, demo, create_shopify_order(sandbox), "packed")
    sandbox.control("shiprocket", "/shipments", {"awb": "SOMEONE-ELSES"})
    payload = sandbox.control("shiprocket", "/scan", {"awb": "SOMEONE-ELSES", "shipment_status_id": 7})["push"]
    forged = deliver(demo["shiprocket_status_to_eshopbox"], "forged", {**payload, "awb": packed["trackingID"]})
    sandbox.control("shiprocket", "/reset")  # Shiprocket knows no such AWB
    run(DAG_ID)
    status, reason = event_status(forged)
    assert status is EventStatus.FAILED and "search 'track_awb' found nothing" in (reason or "")
    assert eshopbox_shipment(sandbox, packed["trackingID"])["status"] == "packed"
