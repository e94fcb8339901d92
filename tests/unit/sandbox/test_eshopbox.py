"""The Eshopbox simulator: generateToken, bearer auth, orders and shipments, courier status, inventory listing,
shipment webhooks."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests

from connectors.sandbox import SandboxServer
from tests.unit.sandbox.fixtures import Receiver, Sandbox, fast_config

GRANT = {
    "grant_type": "refresh_token",
    "client_id": "sandbox-client-id",
    "client_secret": "sandbox-client-secret",
    "refresh_token": "sandbox-refresh-token",
}


def order_body(number: str = "1001", channel: str = "SHOPIFY-DEMO") -> dict:
    address = {
        "customerName": "Asha Verma",
        "addressLine1": "12, MG Road",
        "city": "Gurugram",
        "state": "Haryana",
        "postalCode": "122002",
        "contactPhone": "9876543210",
        "email": "asha@example.com",
    }
    return {
        "externalChannelID": channel,
        "customerOrderNumber": number,
        "orderDate": "2024-10-03 10:00:00",
        "isCOD": "0",
        "paymentType": "Prepaid",
        "taxAmount": 90,
        "subtotal": 499,
        "orderTotal": 589,
        "balanceDue": 0,
        "thirdPartyShipping": False,
        "shippingAddress": address,
        "billingAddress": address,
        "items": [
            {
                "lineItemSequenceNumber": "1",
                "itemID": "ESB-TEE-RED-M",
                "productName": "Red tee",
                "quantity": 1,
                "customerPrice": 499,
                "discount": 0,
                "lineItemTotal": 499,
            }
        ],
    }


class Eshopbox:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox, self.http = sandbox, sandbox.http
        self.headers = {"Authorization": f"Bearer {sandbox.eshopbox_token()}"}

    def wms(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.http.request(method, f"{self.sandbox.url}/eshopbox/wms{path}", headers=self.headers, **kwargs)

    def platform(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.http.request(method, f"{self.sandbox.url}/eshopbox/platform{path}", headers=self.headers, **kwargs)

    def create_order(self, number: str = "1001") -> dict:
        response = self.wms("POST", "/api/order", json=order_body(number))
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def esb(sandbox: Sandbox) -> Eshopbox:
    return Eshopbox(sandbox)


@pytest.fixture(scope="module")
def strict_sandbox() -> Iterator[Sandbox]:
    """Short-lived tokens and a tight token-endpoint limit."""
    with SandboxServer(fast_config(eshopbox={"token_ttl": 1, "token_rate_limit": 3})) as server:
        yield Sandbox(server)


def test_generate_token_and_bearer_auth(sandbox: Sandbox) -> None:
    token = sandbox.http.post(f"{sandbox.url}/eshopbox/auth/api/v1/generateToken", json=GRANT).json()
    assert token["access_token"].startswith("eyJ") and token["id_token"].startswith("eyJ")
    assert (token["scope"], token["expires_in"], token["token_type"]) == ("openid profile", 86400, "Bearer")
    order_url = f"{sandbox.url}/eshopbox/wms/api/order/nope"
    assert sandbox.http.get(order_url).status_code == 401
    assert sandbox.http.get(order_url, headers={"Authorization": "Bearer eyJforged.x.y"}).status_code == 401
    authorized = sandbox.http.get(order_url, headers={"Authorization": f"Bearer {token['access_token']}"})
    assert authorized.status_code == 404  # authenticated; the order does not exist
    listing = f"{sandbox.url}/eshopbox/platform/api/v2/productListing"
    assert sandbox.http.get(listing).status_code == 401
    assert sandbox.control("eshopbox", "/state", method="GET")["token_calls"] == 1


def test_wrong_credentials_are_refused(sandbox: Sandbox) -> None:
    url = f"{sandbox.url}/eshopbox/auth/api/v1/generateToken"
    wrong_refresh = sandbox.http.post(url, json={**GRANT, "refresh_token": "revoked"})
    assert wrong_refresh.status_code == 400 and wrong_refresh.json()["error"] == "invalid_grant"
    wrong_secret = sandbox.http.post(url, json={**GRANT, "client_secret": "nope"})
    assert wrong_secret.status_code == 401 and wrong_secret.json()["error"] == "invalid_client"
    assert sandbox.http.post(url, json={**GRANT, "grant_type": "password"}).status_code == 400
    form = sandbox.http.post(url, data=GRANT)  # the older docs page says form-encoded
    assert form.status_code == 200


def test_expired_token_is_refused(strict_sandbox: Sandbox) -> None:
    strict_sandbox.state.reset()
    token = strict_sandbox.eshopbox_token()
    url = f"{strict_sandbox.url}/eshopbox/wms/api/order/1"
    assert strict_sandbox.http.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 404
    time.sleep(1.05)
    expired = strict_sandbox.http.get(url, headers={"Authorization": f"Bearer {token}"})
    assert expired.status_code == 401 and expired.json()["message"] == "jwt expired"


def test_token_endpoint_is_rate_limited(strict_sandbox: Sandbox) -> None:
    strict_sandbox.state.reset()
    url = f"{strict_sandbox.url}/eshopbox/auth/api/v1/generateToken"
    statuses = [strict_sandbox.http.post(url, json=GRANT).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = strict_sandbox.http.post(url, json=GRANT)
    assert int(limited.headers["Retry-After"]) >= 1
    state = strict_sandbox.control("eshopbox", "/state", method="GET")
    assert (state["token_calls"], state["tokens_issued"]) == (5, 3)


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
    result = esb.sandbox.control("eshopbox", f"/shipments/{shipment_id}/status?wait=true", {"status": "packed"})
    assert result["shipment"]["trackingID"]
    received = receiver.wait_for(2)
    created, packed = received
    assert created.json["status"] == "created" and packed.json["status"] == "packed"
    assert packed.headers["x-api-key"] == "client-chosen-key" and packed.headers["x-tenant"] == "acme"
    assert packed.json["externalShipmentID"] == shipment_id and packed.json["status_updated_at"]
    deliveries = esb.sandbox.control("eshopbox", "/state", method="GET")["deliveries"]
    assert [d["attempts"][0]["status"] for d in deliveries] == [200, 200]
