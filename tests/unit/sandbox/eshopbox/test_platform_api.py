"""Eshopbox platform routes (`connectors.sandbox.eshopbox.platform_api`): the inventory listing, and webhook
registration with the shipment webhooks it then receives."""

from __future__ import annotations

from tests.unit.sandbox.eshopbox.api import Eshopbox
from tests.unit.sandbox.fixtures import Receiver


def test_product_listing_window_and_pages(esb: Eshopbox) -> None:
    rows = [{"sku": f"SKU-{n}", "sellable": n, "updatedAt": f"2024-10-01T10:0{n}:00Z"} for n in range(5)]
    esb.sandbox.control("eshopbox", "/inventory", {"items": rows})
    esb.sandbox.control("eshopbox", "/inventory", {"sku": "SKU-NOW", "sellable": 3})
    window = {"updatedAfter": "2024-10-01T10:01:00Z", "updatedBefore": "2024-10-01T10:04:00Z", "perPage": 2}
    first = esb.platform("GET", "/api/v2/productListing", params=window).json()
    assert (first["page"], first["totalPages"]) == (1, 2)
    second = esb.platform("GET", "/api/v2/productListing", params={**window, "page": 2}).json()
    skus = [item["sku"] for item in first["items"] + second["items"]]
    assert skus == ["SKU-1", "SKU-2", "SKU-3"]  # [updatedAfter, updatedBefore)
    assert set(first["items"][0]) >= {"sku", "esin", "warehouseId", "sellable", "updatedAt"}
    everything = esb.platform("GET", "/api/v2/productListing", params={"perPage": 100}).json()
    assert len(everything["items"]) == 6
    assert esb.platform("GET", "/api/v2/productListing", params={"updatedAfter": "soon"}).status_code == 400


def test_shipment_webhook_carries_the_static_headers(esb: Eshopbox, receiver: Receiver) -> None:
    registration = {
        "resource": "shipment",
        "eventType": "PUT",
        "eventSubType": "updated",
        "version": "v1",
        "webhookUrl": f"{receiver.url}/hooks/eshopbox",
        "webhookMethod": "POST",
        "webhookHeaders": {"x-api-key": "client-chosen-key", "x-tenant": "acme"},
    }
    assert esb.platform("POST", "/api/v1/webhook", json=registration).status_code == 201
    assert esb.platform("POST", "/api/v1/webhook", json={"resource": "shipment"}).status_code == 400
    shipment_id = esb.create_order()["shipments"][0]["externalShipmentID"]
    receiver.wait_for(1)  # `created` is sent from a thread: let it arrive before `packed` is sent
    result = esb.sandbox.control("eshopbox", f"/shipments/{shipment_id}/status?wait=true", {"status": "packed"})
    assert result["shipment"]["trackingID"]
    created, packed = receiver.wait_for(2)
    assert created.json["status"] == "created" and packed.json["status"] == "packed"
    assert packed.headers["x-api-key"] == "client-chosen-key" and packed.headers["x-tenant"] == "acme"
    assert packed.json["externalShipmentID"] == shipment_id and packed.json["status_updated_at"]
    deliveries = esb.sandbox.wait_deliveries("eshopbox", 2)
    assert [d["attempts"][0]["status"] for d in deliveries] == [200, 200]
