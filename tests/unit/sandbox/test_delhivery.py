"""The Delhivery simulator: token auth, tracking, Scan Push payload, header and retry."""

from __future__ import annotations

from tests.unit.sandbox.fixtures import Receiver, Sandbox

TOKEN = {"Authorization": "Token sandbox-delhivery-token"}


def track(sandbox: Sandbox, waybills: str, headers: dict[str, str] | None = TOKEN):
    return sandbox.http.get(
        f"{sandbox.url}/delhivery/api/v1/packages/json/", params={"waybill": waybills}, headers=headers
    )


def test_tracking_needs_the_api_token(sandbox: Sandbox) -> None:
    missing = track(sandbox, "1", headers=None)
    assert missing.status_code == 401 and missing.json() == {"detail": "Authentication credentials were not provided."}
    assert track(sandbox, "1", headers={"Authorization": "Bearer sandbox-delhivery-token"}).status_code == 401
    wrong = track(sandbox, "1", headers={"Authorization": "Token nope"})
    assert wrong.status_code == 401 and wrong.json() == {"detail": "Invalid token."}
    assert track(sandbox, "1").status_code == 200


def test_tracking_several_waybills(sandbox: Sandbox) -> None:
    sandbox.control("delhivery", "/shipments", {"waybill": "111", "reference_no": "1001"})
    sandbox.control("delhivery", "/shipments", {"waybill": "222", "reference_no": "1002"})
    body = track(sandbox, "111,222,333").json()
    shipments = {entry["Shipment"]["AWB"]: entry["Shipment"] for entry in body["ShipmentData"]}
    assert set(shipments) == {"111", "222"}
    status = shipments["111"]["Status"]
    assert (status["Status"], status["StatusType"]) == ("Manifested", "UD")
    assert set(status) == {"Status", "StatusType", "StatusDateTime", "StatusLocation", "Instructions"}
    assert shipments["222"]["ReferenceNo"] == "1002"
    assert track(sandbox, "333").json() == {"Error": "No such waybill or Order Id found"}


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


def test_eshopbox_packing_manifests_the_waybill_at_delhivery(sandbox: Sandbox) -> None:
    from tests.unit.sandbox.test_eshopbox import order_body

    headers = {"Authorization": f"Bearer {sandbox.eshopbox_token()}"}
    order = sandbox.http.post(f"{sandbox.url}/eshopbox/wms/api/order", json=order_body("77"), headers=headers).json()
    shipment_id = order["shipments"][0]["externalShipmentID"]
    packed = sandbox.control("eshopbox", f"/shipments/{shipment_id}/status", {"status": "packed"})["shipment"]
    tracked = track(sandbox, packed["trackingID"]).json()["ShipmentData"][0]["Shipment"]
    assert tracked["ReferenceNo"] == "77" and tracked["Status"]["Status"] == "Manifested"
