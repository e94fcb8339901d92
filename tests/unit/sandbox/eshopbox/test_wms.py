"""Eshopbox WMS routes (`connectors.sandbox.eshopbox.wms`): orders, shipments, mark{status}, courier updates."""

from __future__ import annotations

from tests.unit.sandbox.eshopbox.api import Eshopbox, order_body


def test_create_order_validation_and_duplicates(esb: Eshopbox) -> None:
    created = esb.create_order("1001")
    shipment = created["shipments"][0]
    assert shipment["status"] == "created" and shipment["customerOrderNumber"] == "1001"
    duplicate = esb.wms("POST", "/api/order", json=order_body("1001"))
    assert duplicate.status_code == 409
    other_channel = esb.wms("POST", "/api/order", json=order_body("1001", channel="OTHER"))
    assert other_channel.status_code == 200

    broken = order_body("1002")
    del broken["paymentType"], broken["shippingAddress"]["postalCode"]
    broken["isCOD"] = True
    invalid = esb.wms("POST", "/api/order", json=broken)
    assert invalid.status_code == 400
    fields = {problem["field"] for problem in invalid.json()["errors"]}
    assert fields == {"paymentType", "shippingAddress.postalCode", "isCOD"}

    fetched = esb.wms("GET", "/api/order/1001").json()
    assert fetched["customerOrderNumber"] == "1001"
    got = esb.wms("GET", f"/api/order/shipment/{shipment['externalShipmentID']}").json()
    assert got["externalShipmentID"] == shipment["externalShipmentID"]
    assert esb.wms("GET", "/api/order/shipment/ESB0").status_code == 404


def test_mark_status_and_courier_update_by_waybill(esb: Eshopbox) -> None:
    shipment_id = esb.create_order()["shipments"][0]["externalShipmentID"]
    packed = esb.wms("PUT", f"/api/order/shipment/{shipment_id}/markpacked").json()
    assert packed["status"] == "packed" and packed["trackingID"] and packed["courierName"] == "Delhivery"
    assert set(packed["status_log"]) == {"created", "packed"}
    assert esb.wms("PUT", f"/api/order/shipment/{shipment_id}/markteleported").status_code == 400
    assert esb.wms("PUT", f"/api/order/shipment/{shipment_id}/markdispatched").json()["status"] == "dispatched"

    update = {
        "waybill": packed["trackingID"],
        "cp_name": "Delhivery",
        "status": "Delivered",
        "status_code": 8,
        "status_description": "DELIVERED",
        "location": "Gurugram",
        "timestamp": "2024-10-05T12:00:00Z",
    }
    response = esb.wms("POST", "/api/update-status", json=update)
    assert response.json() == {"meta": {"success": True, "status": 200, "message": "SUCCESS"}}
    shipment = esb.wms("GET", f"/api/order/shipment/{shipment_id}").json()
    assert shipment["status"] == "delivered"
    assert shipment["status_log"]["delivered"] == "2024-10-05T12:00:00.000Z"
    assert shipment["track_payload"]["clickPostTrackData"]["status_code"] == 8
    assert esb.wms("POST", "/api/update-status", json={**update, "waybill": "0"}).status_code == 404
    assert esb.wms("PUT", f"/api/order/shipment/{shipment_id}/markpacked").status_code == 400  # already delivered
    courier_updates = esb.sandbox.control("eshopbox", "/state", method="GET")["courier_updates"]
    assert [u["waybill"] for u in courier_updates] == [packed["trackingID"]]
