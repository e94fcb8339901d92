"""Verifying deliveries as the app declares: Shopify HMAC, static tokens; dedupe keys; topics."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from connectors.runtime.verification import WebhookRejected, dedupe_key, topic_matches, verify_webhook_signature
from connectors.spec import Catalog

SECRET = "shpss_webhook_secret_1"


def shopify_headers(body: bytes, secret: str = SECRET) -> dict[str, str]:
    signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return {"X-Shopify-Hmac-Sha256": signature, "X-Shopify-Topic": "orders/create", "X-Shopify-Webhook-Id": "w-1"}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load()


def test_shopify_signature_over_the_raw_body(catalog: Catalog) -> None:
    trigger = catalog.get("shopify@1.0.0").triggers["order_created"]
    body = json.dumps({"id": 1, "name": "#1001"}).encode()
    context = {"auth": {"webhook_secret": SECRET}}
    headers = shopify_headers(body)
    verify_webhook_signature(trigger, body, {k.lower(): v for k, v in headers.items()}, context)  # case-insensitive
    with pytest.raises(WebhookRejected) as tampered:
        verify_webhook_signature(trigger, body + b" ", headers, context)
    assert tampered.value.status == 401
    with pytest.raises(WebhookRejected):
        verify_webhook_signature(trigger, body, shopify_headers(body, "another-secret"), context)
    with pytest.raises(WebhookRejected, match="missing signature"):
        verify_webhook_signature(trigger, body, {}, context)
    assert dedupe_key(trigger, {}, headers) == "w-1"
    assert topic_matches(trigger, {}, headers)
    assert not topic_matches(trigger, {}, {**headers, "X-Shopify-Topic": "orders/updated"})


def test_static_token_and_composite_dedupe_key(catalog: Catalog) -> None:
    trigger = catalog.get("eshopbox@1.0.0").triggers["shipment_updated"]
    context = {"auth": {"webhook_token": "esb-hook-token"}}
    verify_webhook_signature(trigger, b"{}", {"x-api-key": "esb-hook-token"}, context)
    with pytest.raises(WebhookRejected):
        verify_webhook_signature(trigger, b"{}", {"x-api-key": "esb-hook-tokem"}, context)
    payload = {"externalShipmentID": "SHP1", "status": "packed", "status_updated_at": "2026-11-28T10:00:00Z"}
    assert dedupe_key(trigger, payload, {}) == "SHP1:packed:2026-11-28T10:00:00Z"
    with pytest.raises(WebhookRejected) as missing:
        dedupe_key(trigger, {"status": "packed"}, {})
    assert missing.value.status == 400
