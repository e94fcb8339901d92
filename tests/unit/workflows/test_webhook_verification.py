"""Verifying deliveries as the app declares: Shopify HMAC, static tokens; dedupe keys; topics."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from connectors.runtime.keys import joined_key
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
    assert dedupe_key(trigger, payload, {}) == r"SHP1:packed:2026-11-28T10\:00\:00Z"  # each part escapes its colons
    with pytest.raises(WebhookRejected) as missing:
        dedupe_key(trigger, {"status": "packed"}, {})
    assert missing.value.status == 400


def test_composite_keys_whose_parts_contain_the_separator_do_not_collide(catalog: Catalog) -> None:
    trigger = catalog.get("eshopbox@1.0.0").triggers["shipment_updated"]
    one = {"externalShipmentID": "S:1", "status": "packed", "status_updated_at": "t"}
    other = {"externalShipmentID": "S", "status": "1:packed", "status_updated_at": "t"}
    assert dedupe_key(trigger, one, {}) != dedupe_key(trigger, other, {})


def test_a_key_too_long_or_with_nul_is_stored_as_its_hash(catalog: Catalog) -> None:
    trigger = catalog.get("shopify@1.0.0").triggers["order_created"]
    long_key = dedupe_key(trigger, {}, {"X-Shopify-Webhook-Id": "w" * 400})
    assert long_key.startswith("sha256:") and len(long_key) == 71
    assert dedupe_key(trigger, {}, {"X-Shopify-Webhook-Id": "w" * 400}) == long_key  # a redelivery dedupes
    assert dedupe_key(trigger, {}, {"X-Shopify-Webhook-Id": "a\x00b"}).startswith("sha256:")
    assert dedupe_key(trigger, {}, {"X-Shopify-Webhook-Id": "w" * 250}) == "w" * 250


def test_a_polled_record_keyed_by_a_lone_surrogate_is_stored_as_its_hash() -> None:
    key = joined_key(["order", "\ud800"])  # a JSON "\ud800" escape in a polled record's id

    assert key.startswith("sha256:") and key.encode("utf-8")
    assert joined_key(["order", "\ud800"]) == key and joined_key(["order", "\ud801"]) != key


def test_a_non_ascii_signature_is_refused_not_crashed(catalog: Catalog) -> None:
    trigger = catalog.get("shopify@1.0.0").triggers["order_created"]
    context = {"auth": {"webhook_secret": "s3cret"}}
    with pytest.raises(WebhookRejected) as rejected:
        verify_webhook_signature(trigger, b"{}", {"X-Shopify-Hmac-Sha256": "é\udcff"}, context)
    assert rejected.value.status == 401


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"n": ' + b"9" * 5000 + b"}", "body is not valid JSON"),
        (b'{"n": NaN}', "NaN is not JSON"),
        (b"[1, 2]", "must be a JSON object, not list"),
        (b"null", "must be a JSON object, not NoneType"),
        ('{"a": 1}'.encode("utf-16"), "body is not UTF-8"),
    ],
    ids=["deep", "huge-integer", "nan", "array", "null", "utf-16"],
)
def test_bodies_that_are_not_a_json_object_are_bad_requests(body: bytes, reason: str) -> None:
    from connectors.runtime.verification import parse_json_body

    with pytest.raises(WebhookRejected) as rejected:
        parse_json_body(body)
    assert rejected.value.status == 400 and reason in rejected.value.reason
