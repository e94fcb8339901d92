"""Delhivery control API (`connectors.sandbox.delhivery.control`): recorded scans are pushed as Scan Push webhooks
with the client's static header, retried once, then dropped."""

from __future__ import annotations

from tests.unit.sandbox.delhivery.api import track
from tests.unit.sandbox.fixtures import Receiver, Sandbox


def test_scan_push_payload_and_header(sandbox: Sandbox, receiver: Receiver) -> None:
    sandbox.control("delhivery", "/webhook", {"url": f"{receiver.url}/hooks/delhivery"})
    sandbox.control("delhivery", "/shipments", {"waybill": "1490800000001", "reference_no": "1001"})
    in_transit = {"waybill": "1490800000001", "status": "In Transit", "location": "Delhi Hub"}
    sandbox.control("delhivery", "/scan?wait=true", in_transit)  # pushes run in threads: keep them ordered
    result = sandbox.control("delhivery", "/scan", {"waybill": "1490800000001", "status": "Delivered"})
    first, second = receiver.wait_for(2)
    assert second.headers["x-webhook-token"] == "sandbox-delhivery-webhook-token"
    assert second.headers["content-type"] == "application/json"
    shipment = second.json["Shipment"]
    assert set(shipment) == {"Status", "PickUpDate", "NSLCode", "Sortcode", "ReferenceNo", "AWB"}
    assert set(shipment["Status"]) == {"Status", "StatusDateTime", "StatusType", "StatusLocation", "Instructions"}
    assert (shipment["Status"]["Status"], shipment["Status"]["StatusType"]) == ("Delivered", "DL")
    assert (shipment["AWB"], shipment["ReferenceNo"], shipment["NSLCode"]) == ("1490800000001", "1001", "EOD-38")
    assert first.json["Shipment"]["Status"]["StatusLocation"] == "Delhi Hub"
    assert shipment["PickUpDate"] == first.json["Shipment"]["Status"]["StatusDateTime"]
    assert result["push"] == second.json
    tracked = track(sandbox, "1490800000001").json()["ShipmentData"][0]["Shipment"]
    assert tracked["Status"]["Status"] == "Delivered" and len(tracked["Scans"]) == 3


def test_failed_push_is_retried_once_then_dropped(sandbox: Sandbox, receiver: Receiver) -> None:
    receiver.statuses.extend([500, 502, 500])
    sandbox.control("delhivery", "/webhook", {"url": receiver.url, "header": "X-Auth", "token": "t0k"})
    sandbox.control("delhivery", "/scan", {"waybill": "9", "status": "Delivered"})
    delivery = sandbox.wait_deliveries("delhivery", 1)[0]
    assert [a["status"] for a in delivery["attempts"]] == [500, 502]
    assert delivery["status"] == "failed" and delivery["headers"]["X-Auth"] == "t0k"
    assert len(receiver.received) == 2
