"""Shopify fulfillments, fulfillment events and inventory levels (`connectors.sandbox.shopify.fulfillment`)."""

from __future__ import annotations

from tests.unit.sandbox.fixtures import SHOPIFY_TOKEN, Sandbox
from tests.unit.sandbox.shopify.api import new_order


def test_fulfillment_with_tracking_and_422s(sandbox: Sandbox) -> None:
    created = new_order(sandbox, line_items=[{"sku": "ESB-MUG-WHITE", "quantity": 2, "price": "250"}])
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
    order_id = new_order(sandbox)["order"]["id"]
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
