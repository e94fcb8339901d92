"""The delhivery@1.1.0 definition, through our runtime, against the sandbox: each search and action (a create that
finds the order instead of creating it again, also after a lost answer; a pickup refused the second time), what a
wrong token gets, the 429s a throttle answers, and the scan push trigger (its static header and vocabularies)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import requests

from connectors.runtime.errors import AuthExpiredError, PermanentError, RetriesExhaustedError
from connectors.runtime.http.client import AppClient, ConnectionValues
from connectors.runtime.steps import run_action, run_search
from connectors.runtime.verification import WebhookRejected, dedupe_key, verify_webhook_signature
from connectors.spec import load_app_version
from connectors.spec.catalog import BUILTIN_APPS
from connectors.spec.triggers import WebhookTriggerSpec
from tests.unit.sandbox.delhivery.api import WAREHOUSE, state
from tests.unit.sandbox.fixtures import LIMIT, Receiver, Sandbox

SPEC = load_app_version(BUILTIN_APPS / "delhivery" / "1.1.0.yaml")
OLD = load_app_version(BUILTIN_APPS / "delhivery" / "1.0.0.yaml")
TRIGGER = SPEC.triggers["scan_pushed"]
assert isinstance(TRIGGER, WebhookTriggerSpec)
WEBHOOK_TOKEN = "sandbox-delhivery-webhook-token"


def delhivery(sandbox: Sandbox, api_token: str = "sandbox-delhivery-token") -> AppClient:
    session = requests.Session()
    session.trust_env = False
    connection = ConnectionValues(
        "sandbox-delhivery", credentials={"api_token": api_token, "webhook_token": WEBHOOK_TOKEN}
    )
    environment = {"BASE_URL": f"{sandbox.url}/delhivery"}
    return AppClient(SPEC, connection, environment=environment, session=session, sleep=no_wait)


def no_wait(seconds: float) -> None:
    """Backoff without waiting: the sandbox's answers, not the clock, decide these tests."""


def shipment(order_id: str, **changes: Any) -> dict[str, Any]:
    return {
        "order_id": order_id, "pickup_location": WAREHOUSE, "name": "Asha Verma", "address": "12, MG Road",
        "city": "Gurugram", "state": "Haryana", "pin": "122002", "phone": "9876543210", "total_amount": 998,
        "products_desc": "Tee - Red, M", "weight_grams": 400, **changes,
    }  # fmt: skip


def test_create_a_shipment_then_track_it_by_waybill_and_by_order(sandbox: Sandbox) -> None:
    client = delhivery(sandbox)
    created = run_action(client, "create_shipment", shipment("ESB-1", payment_mode="COD", cod_amount=499.5))
    assert created.outcome == "succeeded"
    assert (created.result["status"], created.result["refnum"], created.result["payment"]) == ("Success", "ESB-1",
                                                                                                "COD")  # fmt: skip
    assert created.result["cod_amount"] == 499.5
    waybill = created.result["waybill"]
    tracked = run_search(client, "track_shipment", {"waybill": waybill})
    assert tracked.outcome == "found" and tracked.result["Shipment"]["ReferenceNo"] == "ESB-1"
    assert tracked.result["Shipment"]["Consignee"]["Name"] == "Asha Verma"
    assert run_search(client, "find_shipment", {"order_id": "ESB-1"}).result["Shipment"]["AWB"] == waybill
    assert run_search(client, "find_shipment", {"order_id": "ESB-404"}).outcome == "not_found"
    assert run_search(client, "track_shipment", {"waybill": "0000000000000"}).outcome == "not_found"


def test_creating_an_order_again_finds_it_instead_of_meeting_the_duplicate(sandbox: Sandbox) -> None:
    client = delhivery(sandbox)
    first = run_action(client, "create_shipment", shipment("ESB-2"))
    again = run_action(client, "create_shipment", shipment("ESB-2"))  # a replay: found, nothing sent
    assert again.outcome == "found" and again.result["Shipment"]["AWB"] == first.result["waybill"]
    assert state(sandbox)["orders"] == {"ESB-2": first.result["waybill"]}


def test_a_create_answered_503_after_it_was_applied_is_found_on_the_retry(sandbox: Sandbox) -> None:
    fault = {"mode": "commit_then_503", "requests": 1, "path": "/api/cmu/create.json"}
    sandbox.control("delhivery", "/faults", fault)
    result = run_action(delhivery(sandbox), "create_shipment", shipment("ESB-3"))
    assert result.outcome == "found" and result.result["Shipment"]["ReferenceNo"] == "ESB-3"
    assert list(state(sandbox)["orders"]) == ["ESB-3"]


def test_a_package_refused_in_a_200_fails_the_step_with_delhivery_s_remarks(sandbox: Sandbox) -> None:
    """Delhivery answers a refused package with a 200 and `success: false`: `failed_when` makes it a permanent
    failure carrying the package's remarks, or `rmk` when it could not read the request at all."""
    with pytest.raises(PermanentError, match="answered 200 but says it failed: .*ClientWarehouse"):
        run_action(delhivery(sandbox), "create_shipment", shipment("ESB-4", pickup_location="Nowhere"))
    with pytest.raises(PermanentError, match="says it failed: cod_amount is required for a COD package"):
        run_action(delhivery(sandbox), "create_shipment", shipment("ESB-5", payment_mode="COD"))
    assert state(sandbox)["orders"] == {}


def test_request_a_pickup_once_a_day(sandbox: Sandbox) -> None:
    client = delhivery(sandbox)
    day = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).date().isoformat()
    inputs = {"pickup_location": WAREHOUSE, "pickup_date": day, "pickup_time": "14:00:00", "expected_package_count": 2}
    booked = run_action(client, "create_pickup_request", inputs)
    assert booked.outcome == "succeeded" and booked.result["pickup_date"] == day
    assert booked.result["expected_package_count"] == 2 and isinstance(booked.result["pickup_id"], int)
    with pytest.raises(PermanentError) as again:
        run_action(client, "create_pickup_request", {**inputs, "expected_package_count": 5})
    assert again.value.status == 400 and "already exists" in str(again.value)
    assert len(state(sandbox)["pickups"]) == 1


def test_shipping_charges(sandbox: Sandbox) -> None:
    inputs = {"weight_grams": 1200, "origin_pin": "122002", "destination_pin": "560001", "payment_type": "COD"}
    found = run_search(delhivery(sandbox), "find_shipping_charges", inputs)
    assert found.outcome == "found"
    assert (found.result["charged_weight"], found.result["status"], found.result["charge_COD"]) == (1500, "Delivered",
                                                                                                    35.0)  # fmt: skip


def test_a_wrong_token_is_refused_and_never_shown(sandbox: Sandbox) -> None:
    with pytest.raises((AuthExpiredError, PermanentError)) as caught:
        run_search(delhivery(sandbox, api_token="not-the-token"), "track_shipment", {"waybill": "1"})
    assert caught.value.status == 401 and "Invalid token." in str(caught.value)
    assert "not-the-token" not in str(caught.value)


def test_a_429_asking_to_wait_past_the_retry_cap_gives_up_at_once(limited_sandbox: Sandbox) -> None:
    client = delhivery(limited_sandbox)
    for _ in range(LIMIT):  # the limited sandbox allows LIMIT tracking calls per IP, refilled after an hour
        run_search(client, "track_shipment", {"waybill": "1"})
    with pytest.raises(RetriesExhaustedError) as caught:
        run_search(client, "track_shipment", {"waybill": "1"})
    assert caught.value.last.status == 429 and "Request was throttled." in str(caught.value)
    assert caught.value.attempts == 1  # Retry-After (an hour) is past max_retry_after: the event waits instead
    assert limited_sandbox.rate_limited("delhivery") == (1, {"127.0.0.1": 1})


def test_the_scan_push_verifies_with_its_static_header(sandbox: Sandbox, receiver: Receiver) -> None:
    sandbox.control("delhivery", "/webhook", {"url": f"{receiver.url}/hooks/delhivery"})
    awb = run_action(delhivery(sandbox), "create_shipment", shipment("ESB-6")).result["waybill"]
    ndr = {"waybill": awb, "status": "Pending", "nsl_code": "EOD-11", "instructions": "Consignee unavailable",
           "status_datetime": "2026-11-29T18:00:00+05:30"}  # fmt: skip
    sandbox.control("delhivery", "/scan?wait=true", ndr)
    sandbox.control("delhivery", "/scan?wait=true", {"waybill": awb, "status": "In Transit", "status_type": "RT"})
    sandbox.control("delhivery", "/scan", {"waybill": awb, "status": "RTO", "location": "Gurgaon_Bilaspur_HB"})
    first, returning, closed = receiver.wait_for(3)
    context = {"auth": {"api_token": "x", "webhook_token": WEBHOOK_TOKEN}, "properties": {}, "env": {}}
    for delivery in (first, returning, closed):
        verify_webhook_signature(TRIGGER, delivery.body, delivery.headers, context)
    for wrong in ("other", ""):
        with pytest.raises(WebhookRejected):
            verify_webhook_signature(TRIGGER, first.body, first.headers, {**context, "auth": {"webhook_token": wrong}})
    with pytest.raises(WebhookRejected):
        verify_webhook_signature(TRIGGER, first.body, {"content-type": "application/json"}, context)
    statuses = [(d.json["Shipment"]["Status"]["StatusType"], d.json["Shipment"]["Status"]["Status"],
                 d.json["Shipment"]["NSLCode"]) for d in (first, returning, closed)]  # fmt: skip
    assert statuses == [("UD", "Pending", "EOD-11"), ("RT", "In Transit", ""), ("DL", "RTO", "")]
    assert dedupe_key(TRIGGER, first.json, first.headers) == f"{awb}:UD:Pending:2026-11-29T18\\:00\\:00.000"
    choices = {name: field.choices for name, field in TRIGGER.output.items() if field.choices}
    for kind, status, _ in statuses:  # every pushed value is in the vocabulary workflows' tables are checked against
        assert kind in choices["Shipment.Status.StatusType"] and status in choices["Shipment.Status.Status"]


def test_1_1_0_keeps_what_1_0_0_workflows_use() -> None:
    old_trigger = OLD.triggers["scan_pushed"]
    assert isinstance(old_trigger, WebhookTriggerSpec)
    assert (TRIGGER.verify, TRIGGER.dedupe_key) == (old_trigger.verify, old_trigger.dedupe_key)
    assert SPEC.searches["track_shipment"] == OLD.searches["track_shipment"] and SPEC.auth == OLD.auth
    assert [m.applies_to("1.0.0") for m in SPEC.migrations] == [True]
