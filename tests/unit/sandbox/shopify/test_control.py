"""Shopify control API (`connectors.sandbox.shopify.control`): orders emit signed `orders/create` webhooks, which
are retried and can be redelivered byte for byte."""

from __future__ import annotations

import base64
import hashlib
import hmac

from tests.unit.sandbox.fixtures import SHOPIFY_SECRET, Receiver, Sandbox
from tests.unit.sandbox.shopify.api import new_order


def test_orders_create_webhook_is_signed_and_redelivered_with_the_same_id(sandbox: Sandbox, receiver: Receiver) -> None:
    hook = {"webhook": {"topic": "orders/create", "address": f"{receiver.url}/hooks/shopify", "format": "json"}}
    assert sandbox.shopify("POST", "/webhooks.json", json=hook).status_code == 201
    assert sandbox.shopify("POST", "/webhooks.json", json=hook).status_code == 422  # same topic + address
    assert [w["topic"] for w in sandbox.shopify("GET", "/webhooks.json").json()["webhooks"]] == ["orders/create"]

    order = new_order(sandbox, sku="ESB-TEE-BLUE-L", quantity=2)["order"]
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
    new_order(sandbox)
    received = receiver.wait_for(3)
    assert len({r.headers["x-shopify-webhook-id"] for r in received}) == 1
    delivery = sandbox.wait_deliveries("shopify", 1)[0]
    assert [a["status"] for a in delivery["attempts"]] == [500, 503, 200]
    assert delivery["status"] == "delivered"
