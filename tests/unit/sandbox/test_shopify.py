"""The Shopify simulator against the Admin REST 2024-10 contract, over real HTTP."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import parse_qs, urlsplit

from tests.unit.sandbox.fixtures import SHOPIFY_SECRET, SHOPIFY_TOKEN, Receiver, Sandbox


def _new_order(sandbox: Sandbox, **spec) -> dict:
    return sandbox.control("shopify", "/orders", spec)


def test_admin_calls_need_the_access_token(sandbox: Sandbox) -> None:
    for token in (None, "shpat_wrong"):
        response = sandbox.shopify("GET", "/orders.json", token=token)
        assert response.status_code == 401
        assert "Invalid API key or access token" in response.json()["errors"]
    assert sandbox.shopify("GET", "/orders.json").status_code == 200


def test_orders_paginate_with_link_header_and_page_info(sandbox: Sandbox) -> None:
    created = [_new_order(sandbox)["order"]["id"] for _ in range(5)]
    first = sandbox.shopify("GET", "/orders.json", params={"status": "any", "limit": 2})
    assert first.status_code == 200
    assert [o["id"] for o in first.json()["orders"]] == sorted(created, reverse=True)[:2]
    assert set(first.links) == {"next"}
    next_url = first.links["next"]["url"]
    assert set(parse_qs(urlsplit(next_url).query)) == {"limit", "page_info"}

    seen = [o["id"] for o in first.json()["orders"]]
    response = first
    while "next" in response.links:
        response = sandbox.http.get(
            response.links["next"]["url"], headers={"X-Shopify-Access-Token": "shpat_sandbox_demo_token"}
        )
        assert response.status_code == 200
        seen += [o["id"] for o in response.json()["orders"]]
    assert seen == sorted(created, reverse=True)
    assert "previous" in response.links

    previous = sandbox.http.get(
        response.links["previous"]["url"], headers={"X-Shopify-Access-Token": "shpat_sandbox_demo_token"}
    )
    assert [o["id"] for o in previous.json()["orders"]] == sorted(created, reverse=True)[2:4]


def test_page_info_rejects_other_filters(sandbox: Sandbox) -> None:
    for _ in range(3):
        _new_order(sandbox)
    first = sandbox.shopify("GET", "/orders.json", params={"limit": 1})
    page_info = parse_qs(urlsplit(first.links["next"]["url"]).query)["page_info"][0]
    refused = sandbox.shopify("GET", "/orders.json", params={"page_info": page_info, "status": "any"})
    assert refused.status_code == 400
    assert "status" in refused.json()["errors"]
    allowed = sandbox.shopify("GET", "/orders.json", params={"page_info": page_info, "limit": 1, "fields": "id,name"})
    assert allowed.status_code == 200
    assert set(allowed.json()["orders"][0]) == {"id", "name"}
    assert sandbox.shopify("GET", "/orders.json", params={"page_info": "garbage"}).status_code == 400


def test_updated_at_window_is_inclusive_and_timezone_aware(sandbox: Sandbox) -> None:
    old = _new_order(sandbox, created_at="2024-10-01T09:00:00Z")["order"]
    inside = _new_order(sandbox, created_at="2024-10-01T09:00:00Z", updated_at="2024-10-02T10:00:00Z")["order"]
    _new_order(sandbox)  # now
    assert inside["updated_at"] == "2024-10-02T15:30:00+05:30"  # shop time
    window = {"status": "any", "updated_at_min": "2024-10-02T00:00:00Z", "updated_at_max": "2024-10-02T10:00:00Z"}
    found = sandbox.shopify("GET", "/orders.json", params=window).json()["orders"]
    assert [o["id"] for o in found] == [inside["id"]]
    before = {"status": "any", "updated_at_max": "2024-10-01T14:30:00+05:30"}
    assert [o["id"] for o in sandbox.shopify("GET", "/orders.json", params=before).json()["orders"]] == [old["id"]]
    assert sandbox.shopify("GET", "/orders.json", params={"updated_at_min": "yesterday"}).status_code == 400


def test_call_limit_header_and_429_when_the_bucket_is_full(sandbox: Sandbox) -> None:
    used = []
    for _ in range(60):
        response = sandbox.shopify("GET", "/orders.json")
        if response.status_code == 429:
            break
        used.append(int(response.headers["X-Shopify-Shop-Api-Call-Limit"].split("/")[0]))
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "2.0"
    assert response.headers["X-Shopify-Shop-Api-Call-Limit"].endswith("/40")
    assert used[:3] == [1, 2, 3]
    assert used == sorted(used) and used[-1] >= 39
    assert sandbox.http.get(f"{sandbox.url}/shopify/_sandbox/state").status_code == 200  # control API is not limited


def test_fulfillment_with_tracking_and_422s(sandbox: Sandbox) -> None:
    created = _new_order(sandbox, line_items=[{"sku": "ESB-MUG-WHITE", "quantity": 2, "price": "250"}])
    order_id = created["order"]["id"]
    fo = sandbox.shopify("GET", f"/orders/{order_id}/fulfillment_orders.json").json()["fulfillment_orders"][0]
    assert fo["status"] == "open" and fo["line_items"][0]["quantity"] == 2

    too_many = {
        "fulfillment_order_id": fo["id"],
        "fulfillment_order_line_items": [{"id": fo["line_items"][0]["id"], "quantity": 3}],
    }
    response = sandbox.shopify(
        "POST", "/fulfillments.json", json={"fulfillment": {"line_items_by_fulfillment_order": [too_many]}}
    )
    assert response.status_code == 422 and "errors" in response.json()
    unknown = {"fulfillment": {"line_items_by_fulfillment_order": [{"fulfillment_order_id": 1}]}}
    assert sandbox.shopify("POST", "/fulfillments.json", json=unknown).status_code == 422

    body = {
        "fulfillment": {
            "line_items_by_fulfillment_order": [{"fulfillment_order_id": fo["id"]}],
            "tracking_info": {"number": "1490800000001", "company": "Delhivery", "url": None},
            "notify_customer": False,
        }
    }
    response = sandbox.shopify("POST", "/fulfillments.json", json=body)
    assert response.status_code == 201, response.text
    fulfillment = response.json()["fulfillment"]
    assert fulfillment["tracking_number"] == "1490800000001" and fulfillment["status"] == "success"
    assert fulfillment["line_items"][0]["quantity"] == 2

    again = sandbox.shopify("POST", "/fulfillments.json", json=body)
    assert again.status_code == 422
    assert "closed" in again.json()["errors"][0]
    listed = sandbox.shopify("GET", f"/orders/{order_id}/fulfillments.json").json()["fulfillments"]
    assert [f["id"] for f in listed] == [fulfillment["id"]]
    assert sandbox.shopify("GET", f"/orders/{order_id}.json").json()["order"]["fulfillment_status"] == "fulfilled"
    assert sandbox.shopify("GET", "/orders/999/fulfillments.json").status_code == 404


def test_fulfillment_events(sandbox: Sandbox) -> None:
    order_id = _new_order(sandbox)["order"]["id"]
    fo = sandbox.shopify("GET", f"/orders/{order_id}/fulfillment_orders.json").json()["fulfillment_orders"][0]
    body = {"fulfillment": {"line_items_by_fulfillment_order": [{"fulfillment_order_id": fo["id"]}]}}
    fulfillment_id = sandbox.shopify("POST", "/fulfillments.json", json=body).json()["fulfillment"]["id"]
    path = f"/orders/{order_id}/fulfillments/{fulfillment_id}/events.json"

    invalid = sandbox.shopify("POST", path, json={"event": {"status": "teleported"}})
    assert invalid.status_code == 422 and "status" in invalid.json()["errors"]
    newer_than_2024_10 = sandbox.shopify("POST", path, json={"event": {"status": "carrier_picked_up"}})
    assert newer_than_2024_10.status_code == 422

    delivered = sandbox.shopify("POST", path, json={"event": {"status": "delivered", "message": "Handed over"}})
    assert delivered.status_code == 201
    assert delivered.json()["fulfillment_event"]["status"] == "delivered"
    fulfillment = sandbox.shopify("GET", f"/orders/{order_id}/fulfillments.json").json()["fulfillments"][0]
    assert fulfillment["shipment_status"] == "delivered"
    assert (
        sandbox.shopify(
            "POST", f"/orders/{order_id}/fulfillments/1/events.json", json={"event": {"status": "delivered"}}
        ).status_code
        == 404
    )


def test_inventory_level_set(sandbox: Sandbox) -> None:
    body = {"location_id": 65_000_000_001, "inventory_item_id": 44_000_000_001, "available": 7}
    response = sandbox.shopify("POST", "/inventory_levels/set.json", json=body)
    assert response.status_code == 200
    assert response.json()["inventory_level"] | body == response.json()["inventory_level"]
    assert (
        sandbox.shopify("POST", "/inventory_levels/set.json", json={**body, "inventory_item_id": 1}).status_code == 422
    )
    assert sandbox.shopify("POST", "/inventory_levels/set.json", json={"available": 1}).status_code == 400
    levels = sandbox.control("shopify", "/state", method="GET")["inventory_levels"]
    assert [(level["inventory_item_id"], level["available"]) for level in levels] == [(44_000_000_001, 7)]


def test_orders_create_webhook_is_signed_and_redelivered_with_the_same_id(sandbox: Sandbox, receiver: Receiver) -> None:
    hook = {"webhook": {"topic": "orders/create", "address": f"{receiver.url}/hooks/shopify", "format": "json"}}
    assert sandbox.shopify("POST", "/webhooks.json", json=hook).status_code == 201
    assert sandbox.shopify("POST", "/webhooks.json", json=hook).status_code == 422  # same topic + address
    assert [w["topic"] for w in sandbox.shopify("GET", "/webhooks.json").json()["webhooks"]] == ["orders/create"]

    order = _new_order(sandbox, sku="ESB-TEE-BLUE-L", quantity=2)["order"]
    first = receiver.wait_for(1)[0]
    expected = base64.b64encode(hmac.new(SHOPIFY_SECRET.encode(), first.body, hashlib.sha256).digest()).decode()
    assert first.headers["x-shopify-hmac-sha256"] == expected
    assert first.headers["x-shopify-topic"] == "orders/create"
    assert first.headers["x-shopify-shop-domain"] == "demo.myshopify.com"
    assert first.headers["x-shopify-api-version"] == "2024-10"
    assert first.headers["content-type"] == "application/json"
    for name in ("x-shopify-webhook-id", "x-shopify-event-id", "x-shopify-triggered-at"):
        assert first.headers[name]
    assert first.json["id"] == order["id"] and first.json["line_items"][0]["sku"] == "ESB-TEE-BLUE-L"
    assert first.json["fulfillment_status"] is None and first.json["name"].startswith("#")

    webhook_id = first.headers["x-shopify-webhook-id"]
    sandbox.control("shopify", f"/redeliver/{webhook_id}")
    second = receiver.wait_for(2)[1]
    assert second.body == first.body
    assert second.headers["x-shopify-webhook-id"] == webhook_id
    assert second.headers["x-shopify-hmac-sha256"] == expected


def test_failed_deliveries_are_retried_and_recorded(sandbox: Sandbox, receiver: Receiver) -> None:
    receiver.statuses.extend([500, 503])
    hook = {"webhook": {"topic": "orders/create", "address": f"{receiver.url}/flaky", "format": "json"}}
    sandbox.shopify("POST", "/webhooks.json", json=hook)
    _new_order(sandbox)
    received = receiver.wait_for(3)
    assert len({r.headers["x-shopify-webhook-id"] for r in received}) == 1
    delivery = sandbox.wait_deliveries("shopify", 1)[0]
    assert [a["status"] for a in delivery["attempts"]] == [500, 503, 200]
    assert delivery["status"] == "delivered"


def test_delayed_event_status_exists_from_api_2025_07(sandbox: Sandbox) -> None:
    order = sandbox.control("shopify", "/orders", {"sku": "ESB-MUG-WHITE"})
    order = order.get("order", order)
    fulfillment_order = sandbox.shopify("GET", f"/orders/{order['id']}/fulfillment_orders.json").json()
    body = {"fulfillment": {"line_items_by_fulfillment_order": [
        {"fulfillment_order_id": fulfillment_order["fulfillment_orders"][0]["id"]}]}}  # fmt: skip
    fulfillment = sandbox.shopify("POST", "/fulfillments.json", json=body).json()["fulfillment"]
    path = f"/orders/{order['id']}/fulfillments/{fulfillment['id']}/events.json"
    event = {"event": {"status": "delayed"}}
    assert sandbox.shopify("POST", path, json=event).status_code == 422  # the fixture's admin path is 2024-10
    newer = f"{sandbox.url}/shopify/admin/api/2025-07{path}"
    answer = sandbox.http.post(newer, json=event, headers={"X-Shopify-Access-Token": SHOPIFY_TOKEN}, timeout=10)
    assert answer.status_code == 201 and answer.json()["fulfillment_event"]["status"] == "delayed"
