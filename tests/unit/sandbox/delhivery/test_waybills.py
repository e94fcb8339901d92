"""Delhivery waybills (`connectors.sandbox.delhivery.waybills`): packing at Eshopbox manifests the AWB here."""

from __future__ import annotations

from tests.unit.sandbox.delhivery.api import track
from tests.unit.sandbox.eshopbox.api import order_body
from tests.unit.sandbox.fixtures import Sandbox


def test_eshopbox_packing_manifests_the_waybill_at_delhivery(sandbox: Sandbox) -> None:
    headers = {"Authorization": f"Bearer {sandbox.eshopbox_token()}"}
    order = sandbox.http.post(f"{sandbox.url}/eshopbox/wms/api/order", json=order_body("77"), headers=headers).json()
    shipment_id = order["shipments"][0]["externalShipmentID"]
    packed = sandbox.control("eshopbox", f"/shipments/{shipment_id}/status", {"status": "packed"})["shipment"]
    tracked = track(sandbox, packed["trackingID"]).json()["ShipmentData"][0]["Shipment"]
    assert tracked["ReferenceNo"] == "77" and tracked["Status"]["Status"] == "Manifested"
