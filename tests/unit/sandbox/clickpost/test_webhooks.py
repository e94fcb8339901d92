"""ClickPost's status webhooks: the account's URL and `webhook_key`, a pushed scan's payload (the scan outside,
the newest status in `additional.latest_status`), "Selected status" events, retries, and the app's trigger verifying
and deduplicating what the sandbox sent."""

from __future__ import annotations

import pytest

from connectors.runtime.verification import WebhookRejected, dedupe_key, verify_webhook_signature
from tests.unit.sandbox.clickpost.api import DELHIVERY, SPEC, state
from tests.unit.sandbox.fixtures import Receiver, Sandbox

TRIGGER = SPEC.triggers["status_pushed"]
AWB = "1490000000123"


def context(webhook_key: str | None) -> dict[str, object]:
    auth = {"username": "u", "key": "k"} | ({"webhook_key": webhook_key} if webhook_key else {})
    return {"auth": auth, "properties": {}, "env": {}}


def registered(sandbox: Sandbox, receiver: Receiver, **webhook: object) -> None:
    sandbox.control("clickpost", "/webhook", {"url": f"{receiver.url}/hooks/clickpost", **webhook})
    sandbox.control("clickpost", "/awbs", {"waybill": AWB, "cp_id": DELHIVERY, "reference_number": "ESB-1"})


def test_a_scan_is_pushed_with_the_webhook_key_and_verifies(sandbox: Sandbox, receiver: Receiver) -> None:
    registered(sandbox, receiver, key="s3cret-key")
    scan = {"waybill": AWB, "code": 6, "status": "Out for delivery", "location": "Koramangala_DC (Karnataka)",
            "at": "2026-11-28T06:13:52Z"}  # fmt: skip
    result = sandbox.control("clickpost", "/scan?wait=true", scan)
    (delivery,) = receiver.wait_for(1)
    assert delivery.headers["webhook_key"] == "s3cret-key" and delivery.headers["content-type"] == "application/json"
    payload = delivery.json
    assert payload == result["push"]
    assert {k: payload[k] for k in ("waybill", "cp_id", "status", "location", "timestamp")} == {
        "waybill": AWB, "cp_id": DELHIVERY, "status": "Out for delivery", "location": "Koramangala_DC (Karnataka)",
        "timestamp": "2026-11-28T06:13:52Z",
    }  # fmt: skip
    assert (payload["clickpost_status_code"], payload["clickpost_status_description"]) == (6, "OutForDelivery")
    latest = payload["additional"]["latest_status"]
    assert (latest["clickpost_status_code"], latest["reference_number"]) == (6, "ESB-1")
    assert "notification_event_id" not in payload["additional"]  # "All status" webhooks name no event

    verify_webhook_signature(TRIGGER, delivery.body, delivery.headers, context("s3cret-key"))
    for wrong in ("other-key", None):
        with pytest.raises(WebhookRejected):
            verify_webhook_signature(TRIGGER, delivery.body, delivery.headers, context(wrong))
    assert dedupe_key(TRIGGER, payload, delivery.headers) == f"{AWB}:6:2026-11-28T06\\:13\\:52Z"


def test_a_late_older_scan_carries_the_newest_status_as_latest(sandbox: Sandbox, receiver: Receiver) -> None:
    registered(sandbox, receiver, key="k1")
    sandbox.control("clickpost", "/scan?wait=true", {"waybill": AWB, "code": 8, "at": "2026-11-28T10:00:00Z"})
    late = sandbox.control("clickpost", "/scan?wait=true", {"waybill": AWB, "code": 5, "at": "2026-11-27T18:00:00Z"})
    assert receiver.wait_for(2)[1].json == late["push"]
    assert late["push"]["clickpost_status_code"] == 5
    assert late["push"]["additional"]["latest_status"]["clickpost_status_code"] == 8
    (awb,) = state(sandbox)["awbs"]
    assert [s["clickpost_status_code"] for s in awb["scans"]] == [8, 5, 28]  # newest first, by scan time


def test_selected_status_webhooks_send_only_the_chosen_events(sandbox: Sandbox, receiver: Receiver) -> None:
    registered(sandbox, receiver, key="k2", mode="selected", events=[5])  # 5: Delivered
    skipped = sandbox.control("clickpost", "/scan?wait=true", {"waybill": AWB, "code": 5})
    sent = sandbox.control("clickpost", "/scan?wait=true", {"waybill": AWB, "code": 8})
    assert (skipped["sent"], skipped["delivery"], sent["sent"]) == (False, None, True)
    (delivery,) = receiver.wait_for(1)
    assert delivery.json["clickpost_status_code"] == 8 and delivery.json["additional"]["notification_event_id"] == 5


def test_a_refused_push_is_retried_and_a_push_without_key_is_refused_by_the_trigger(
    sandbox: Sandbox, receiver: Receiver
) -> None:
    receiver.statuses.append(500)
    registered(sandbox, receiver)  # no key set on the dashboard: no webhook_key header
    sandbox.control("clickpost", "/scan?wait=true", {"waybill": AWB, "code": 4})
    (delivery,) = state(sandbox)["deliveries"]
    assert delivery["status"] == "delivered" and [a["status"] for a in delivery["attempts"]] == [500, 200]
    last = receiver.wait_for(2)[-1]
    assert "webhook_key" not in last.headers
    with pytest.raises(WebhookRejected):
        verify_webhook_signature(TRIGGER, last.body, last.headers, context("k"))


def test_scans_of_unregistered_awbs_and_unknown_codes_are_refused(sandbox: Sandbox) -> None:
    unknown = sandbox.http.post(f"{sandbox.url}/clickpost/_sandbox/scan", json={"waybill": "NOPE", "code": 8})
    assert unknown.status_code == 404
    sandbox.control("clickpost", "/awbs", {"waybill": AWB})
    bad_code = sandbox.http.post(f"{sandbox.url}/clickpost/_sandbox/scan", json={"waybill": AWB, "code": 22})
    assert bad_code.status_code == 400
