"""Notifications as Flipkart sends them: the shipment envelope, `X_Date` and `X_Authorization: FKLOGIN
base64(appId:sha1(...))` over the URL it posts to, checked by the app's own `fklogin` verification."""

from __future__ import annotations

import pytest

from connectors.runtime.verification import WebhookRejected, dedupe_key, topic_matches, verify_webhook_signature
from tests.unit.sandbox.fixtures import Receiver, Sandbox
from tests.unit.sandbox.flipkart.api import APP_ID, APP_SECRET, SPEC, new_shipment

TRIGGER = SPEC.triggers["shipment_event"]
CONTEXT = {"auth": {"client_id": APP_ID, "client_secret": APP_SECRET}, "properties": {}, "env": {}}


def test_shipment_created_is_signed_with_fklogin_and_verifies(sandbox: Sandbox, receiver: Receiver) -> None:
    url = f"{receiver.url}/integrations/webhooks/flipkart/shipment_event/demo_flipkart"
    sandbox.control("flipkart", "/webhook", {"url": url})
    shipment = new_shipment(sandbox)
    delivery = receiver.wait_for(1)[0]
    assert delivery.json["eventType"] == "shipment_created" and delivery.json["shipmentId"] == shipment["shipmentId"]
    assert delivery.headers["x_authorization"].startswith("FKLOGIN ") and delivery.headers["x_date"].endswith("GMT")
    verify_webhook_signature(TRIGGER, delivery.body, delivery.headers, CONTEXT, url=url, method="POST")
    assert topic_matches(TRIGGER, delivery.json, delivery.headers)
    assert dedupe_key(TRIGGER, delivery.json, delivery.headers).startswith(
        f"{shipment['shipmentId']}:shipment_created:"
    )
    with pytest.raises(WebhookRejected):
        verify_webhook_signature(TRIGGER, delivery.body, delivery.headers, CONTEXT, url=url + "x", method="POST")
    wrong = {"auth": {"client_id": APP_ID, "client_secret": "other"}, "properties": {}, "env": {}}
    with pytest.raises(WebhookRejected):
        verify_webhook_signature(TRIGGER, delivery.body, delivery.headers, wrong, url=url, method="POST")


def test_state_changes_notify_and_a_retry_repeats_the_signed_headers(sandbox: Sandbox, receiver: Receiver) -> None:
    url = f"{receiver.url}/hook"
    sandbox.control("flipkart", "/webhook", {"url": url})
    shipment = new_shipment(sandbox)
    receiver.wait_for(1)
    receiver.statuses.append(503)  # the first delivery of the next event fails: Flipkart retries it
    sandbox.control("flipkart", f"/shipments/{shipment['shipmentId']}/status", {"status": "DELIVERED"})
    created, failed, retried = receiver.wait_for(3)
    assert created.json["eventType"] == "shipment_created"
    assert failed.json["eventType"] == retried.json["eventType"] == "shipment_delivered"
    assert failed.headers["x_authorization"] == retried.headers["x_authorization"]
    verify_webhook_signature(TRIGGER, retried.body, retried.headers, CONTEXT, url=url, method="POST")


def test_the_worked_examples_epoch_signing_also_verifies(sandbox: Sandbox, receiver: Receiver) -> None:
    config = sandbox.server.app.state.config.flipkart
    config.webhook_signs_epoch = True
    try:
        url = f"{receiver.url}/hook"
        sandbox.control("flipkart", "/webhook", {"url": url})
        new_shipment(sandbox)
        delivery = receiver.wait_for(1)[0]
        verify_webhook_signature(TRIGGER, delivery.body, delivery.headers, CONTEXT, url=url, method="POST")
    finally:
        config.webhook_signs_epoch = False
