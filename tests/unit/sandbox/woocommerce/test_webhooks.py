"""Webhooks as WC_Webhook sends them: an unsigned form-encoded ping on creation, then signed JSON deliveries with
the X-WC-Webhook-* headers, checked by the app's own verification."""

from __future__ import annotations

import time

from connectors.runtime.verification import dedupe_key, topic_matches, verify_webhook_signature
from connectors.spec import load_app_version
from connectors.spec.catalog import BUILTIN_APPS
from tests.unit.sandbox.fixtures import Receiver, Sandbox
from tests.unit.sandbox.woocommerce.api import CONSUMER_SECRET, WEBHOOK_SECRET, new_order, wc

TRIGGER = load_app_version(BUILTIN_APPS / "woocommerce" / "1.0.0.yaml").triggers["order_created"]


def subscribe(sandbox: Sandbox, receiver: Receiver, topic: str = "order.created", **extra: str) -> dict:
    body = {"name": "Eshopbox", "topic": topic, "delivery_url": f"{receiver.url}/hook", **extra}
    response = wc(sandbox, "POST", "/webhooks", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_creating_a_webhook_sends_an_unsigned_form_ping(sandbox: Sandbox, receiver: Receiver) -> None:
    hook = subscribe(sandbox, receiver, secret=WEBHOOK_SECRET)
    ping = receiver.wait_for(1)[0]
    assert ping.body == f"webhook_id={hook['id']}".encode()
    assert ping.headers["content-type"] == "application/x-www-form-urlencoded"
    assert ping.headers["user-agent"].startswith("WooCommerce/")
    assert not [name for name in ping.headers if name.startswith("x-wc-webhook")]
    assert hook["pending_delivery"] is False and "secret" not in hook
    assert TRIGGER.ping is not None and TRIGGER.ping.matches(ping.body, ping.headers["content-type"])


def test_a_ping_that_is_not_answered_200_leaves_the_webhook_pending(sandbox: Sandbox, receiver: Receiver) -> None:
    receiver.statuses.append(401)
    assert subscribe(sandbox, receiver)["pending_delivery"] is True


def test_order_created_is_delivered_signed_and_verifies(sandbox: Sandbox, receiver: Receiver) -> None:
    subscribe(sandbox, receiver, secret=WEBHOOK_SECRET)
    order = new_order(sandbox)
    delivery = receiver.wait_for(2)[1]
    assert delivery.json["id"] == order["id"]
    headers = delivery.headers
    assert headers["x-wc-webhook-topic"] == "order.created"
    assert headers["x-wc-webhook-resource"] == "order" and headers["x-wc-webhook-event"] == "created"
    assert len(headers["x-wc-webhook-delivery-id"]) == 32
    context = {"auth": {"webhook_secret": WEBHOOK_SECRET, "consumer_secret": CONSUMER_SECRET}}
    verify_webhook_signature(TRIGGER, delivery.body, headers, context)
    assert topic_matches(TRIGGER, delivery.json, headers)
    assert dedupe_key(TRIGGER, delivery.json, headers) == headers["x-wc-webhook-delivery-id"]


def test_without_a_webhook_secret_the_consumer_secret_signs(sandbox: Sandbox, receiver: Receiver) -> None:
    """The app falls back to the consumer secret when the connection has no webhook secret."""
    subscribe(sandbox, receiver, secret=CONSUMER_SECRET)
    new_order(sandbox)
    delivery = receiver.wait_for(2)[1]
    context = {"auth": {"webhook_secret": "", "consumer_secret": CONSUMER_SECRET}}
    verify_webhook_signature(TRIGGER, delivery.body, delivery.headers, context)


def test_order_updated_goes_only_to_its_topic(sandbox: Sandbox, receiver: Receiver) -> None:
    subscribe(sandbox, receiver, topic="order.updated")
    order = new_order(sandbox)
    wc(sandbox, "PUT", f"/orders/{order['id']}", json={"status": "completed"})
    updated = receiver.wait_for(2)[1]
    assert updated.headers["x-wc-webhook-topic"] == "order.updated" and updated.json["status"] == "completed"
    assert not topic_matches(TRIGGER, updated.json, updated.headers)


def test_webhook_is_disabled_after_more_than_five_failures(sandbox: Sandbox, receiver: Receiver) -> None:
    hook = subscribe(sandbox, receiver)
    receiver.statuses.extend([500] * 7)
    for count in range(7):
        new_order(sandbox)
        receiver.wait_for(2 + count)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # failures are counted once each delivery has finished
        state = sandbox.control("woocommerce", "/state", method="GET")
        if next(h for h in state["webhooks"] if h["id"] == hook["id"])["status"] == "disabled":
            break
        time.sleep(0.02)
    else:
        raise AssertionError("the webhook was not disabled")
