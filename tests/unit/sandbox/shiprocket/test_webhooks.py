"""Shiprocket's status pushes: the account's webhook (URL rule, optional security token as x-api-key), a pushed
scan's payload, and the app's two triggers verifying and deduplicating what the sandbox sent."""

from __future__ import annotations

import pytest

from connectors.runtime.verification import WebhookRejected, dedupe_key, verify_webhook_signature
from connectors.sandbox.shiprocket.control import webhook_url_refused
from connectors.spec import load_app_version
from connectors.spec.catalog import BUILTIN_APPS
from tests.unit.sandbox.fixtures import Receiver, Sandbox
from tests.unit.sandbox.shiprocket.api import state

APP = load_app_version(BUILTIN_APPS / "shiprocket" / "1.0.0.yaml")
SIGNED, UNSIGNED = APP.triggers["status_pushed"], APP.triggers["status_pushed_unsigned"]


def context(webhook_token: str | None) -> dict[str, object]:
    auth = {"email": "x", "password": "y"} | ({"webhook_token": webhook_token} if webhook_token else {})
    return {"auth": auth, "properties": {}, "env": {}}


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        ("https://hooks.example.com/integrations/webhooks/shiprocket/status_pushed/acme", True),
        ("https://kartrocket.example.com/hook", True),
        ("https://sr.example.com/hook", True),
        ("https://hooks.example.com/kr/hook", True),
        ("https://hooks.example.com/integrations/webhooks/couriers/status/acme", False),
        ("https://users.example.com/orders", False),
    ],
)
def test_webhook_url_rule(url: str, refused: bool) -> None:
    assert webhook_url_refused(url) is refused


def test_a_url_naming_shiprocket_cannot_be_set(sandbox: Sandbox) -> None:
    response = sandbox.http.post(
        f"{sandbox.url}/shiprocket/_sandbox/webhook", json={"url": "https://h.example.com/shiprocket/hook"}
    )
    assert response.status_code == 400 and "should not contain" in response.json()["message"]


def test_scan_is_pushed_with_the_security_token_and_verifies(sandbox: Sandbox, receiver: Receiver) -> None:
    sandbox.control("shiprocket", "/webhook", {"url": f"{receiver.url}/hooks/courier", "token": "s3cret"})
    shipment = sandbox.control("shiprocket", "/shipments", {"order_id": "ESB-1", "awb": "19041424751540"})
    result = sandbox.control(
        "shiprocket", "/scan?wait=true",
        {"awb": "19041424751540", "shipment_status_id": 18, "location": "Delhi Hub", "at": "2026-11-28T11:43:52"},
    )  # fmt: skip
    (delivery,) = receiver.wait_for(1)
    assert delivery.headers["x-api-key"] == "s3cret" and delivery.headers["content-type"] == "application/json"
    payload = delivery.json
    assert payload == result["push"]
    assert (payload["awb"], payload["order_id"], payload["sr_order_id"]) == ("19041424751540", "ESB-1",
                                                                              shipment["order_id"])  # fmt: skip
    assert (payload["shipment_status_id"], payload["shipment_status"], payload["current_status_id"]) == (
        18, "IN TRANSIT", 20,
    )  # fmt: skip
    assert payload["current_timestamp"] == "28 11 2026 11:43:52"
    assert [s["sr-status"] for s in payload["scans"]] == ["4", "18"] and payload["scans"][-1]["location"] == "Delhi Hub"

    verify_webhook_signature(SIGNED, delivery.body, delivery.headers, context("s3cret"))
    for wrong in ("other", None):
        with pytest.raises(WebhookRejected):
            verify_webhook_signature(SIGNED, delivery.body, delivery.headers, context(wrong))
    # awb, status and its time (Shiprocket sends no event id); a ':' inside a part is escaped
    assert dedupe_key(SIGNED, payload, delivery.headers) == "19041424751540:18:28 11 2026 11\\:43\\:52"


def test_without_a_token_pushes_are_unsigned_and_only_the_unsigned_trigger_takes_them(
    sandbox: Sandbox, receiver: Receiver
) -> None:
    sandbox.control("shiprocket", "/webhook", {"url": f"{receiver.url}/hooks/courier"})
    sandbox.control("shiprocket", "/shipments", {"awb": "AWB-2"})
    sandbox.control("shiprocket", "/scan?wait=true", {"awb": "AWB-2", "shipment_status_id": 7})
    (delivery,) = receiver.wait_for(1)
    assert "x-api-key" not in delivery.headers
    with pytest.raises(WebhookRejected):
        verify_webhook_signature(SIGNED, delivery.body, delivery.headers, context("s3cret"))
    verify_webhook_signature(UNSIGNED, delivery.body, delivery.headers, context(None))
    assert dedupe_key(UNSIGNED, delivery.json, delivery.headers).startswith("AWB-2:7:")


def test_a_failed_push_is_not_retried_and_scans_of_unknown_awbs_are_refused(
    sandbox: Sandbox, receiver: Receiver
) -> None:
    receiver.statuses.append(500)
    sandbox.control("shiprocket", "/webhook", {"url": receiver.url})
    sandbox.control("shiprocket", "/shipments", {"awb": "AWB-3"})
    sandbox.control("shiprocket", "/scan?wait=true", {"awb": "AWB-3", "shipment_status_id": 42})
    (delivery,) = state(sandbox)["deliveries"]
    assert delivery["status"] == "failed" and len(delivery["attempts"]) == 1
    unknown = sandbox.http.post(f"{sandbox.url}/shiprocket/_sandbox/scan", json={"awb": "x", "shipment_status_id": 7})
    assert unknown.status_code == 404
