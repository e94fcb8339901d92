"""The shiprocket@1.0.0 definition, through our runtime, against the sandbox: the session (one login, reused, a new
one after the token expired), each search and action, and what a create does after a lost answer."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from connectors.runtime.connection_test import prove_credentials
from connectors.runtime.errors import AuthExpiredError, PermanentError
from connectors.runtime.http.client import AppClient, ConnectionValues
from connectors.runtime.steps import run_action, run_search
from connectors.spec import load_app_version
from connectors.spec.catalog import BUILTIN_APPS
from tests.unit.sandbox.fixtures import Sandbox
from tests.unit.sandbox.shiprocket.api import DEMO, adhoc_order, base_url, state

SPEC = load_app_version(BUILTIN_APPS / "shiprocket" / "1.0.0.yaml")


def shiprocket(sandbox: Sandbox, **credentials: str) -> AppClient:
    session = requests.Session()
    session.trust_env = False
    connection = ConnectionValues(
        "sandbox-shiprocket",
        credentials={"email": DEMO.email, "password": DEMO.password, **credentials},
        properties={"pickup_location": "Primary"},
    )
    return AppClient(SPEC, connection, environment={"BASE_URL": base_url(sandbox)}, session=session, sleep=no_wait)


def no_wait(seconds: float) -> None:
    """Backoff without waiting: the sandbox's answers, not the clock, decide these tests."""


def order_inputs(order_id: str) -> dict[str, Any]:
    body = adhoc_order(order_id)
    names = SPEC.actions["create_order"].inputs
    return {name: value for name, value in body.items() if name in names}


def test_one_login_serves_every_call_and_an_expired_token_logs_in_again(sandbox: Sandbox) -> None:
    client = shiprocket(sandbox)
    run_search(client, "find_order", {"order_id": "A"})
    run_search(client, "find_order", {"order_id": "B"})
    assert state(sandbox)["login_calls"] == 1
    sandbox.control("shiprocket", "/tokens/expire")
    assert run_search(client, "find_order", {"order_id": "C"}).outcome == "not_found"  # 401, login, again
    assert state(sandbox)["login_calls"] == 2


def test_wrong_password_fails_without_retrying(sandbox: Sandbox) -> None:
    with pytest.raises((AuthExpiredError, PermanentError)) as caught:
        run_search(shiprocket(sandbox, password="wrong"), "find_order", {"order_id": "A"})
    assert "Invalid email and password combination" in str(caught.value)
    assert "wrong" not in str(caught.value)
    assert state(sandbox)["login_calls"] == 1


def test_create_assign_pickup_and_track(sandbox: Sandbox) -> None:
    client = shiprocket(sandbox)
    created = run_action(client, "create_order", order_inputs("ESB-5001"))
    assert created.outcome == "succeeded" and created.result["status"] == "NEW"
    shipment_id = created.result["shipment_id"]

    assigned = run_action(client, "assign_awb", {"shipment_id": shipment_id})
    assert assigned.outcome == "succeeded" and assigned.result["shipment_id"] == shipment_id
    awb = assigned.result["awb_code"]
    picked = run_action(client, "generate_pickup", {"shipment_id": shipment_id})
    assert picked.outcome == "succeeded" and picked.result["pickup_token_number"]

    tracked = run_search(client, "track_awb", {"awb": awb})
    assert tracked.outcome == "found"
    assert (tracked.result["awb_code"], tracked.result["current_status"]) == (awb, "Pickup Queued")
    assert run_search(client, "track_awb", {"awb": "NOT-OURS"}).outcome == "not_found"

    with pytest.raises(PermanentError) as again:  # Shiprocket refuses a second pickup
        run_action(client, "generate_pickup", {"shipment_id": shipment_id})
    assert again.value.status == 400 and "Already in Pickup Queue." in str(again.value)


def test_creating_an_order_again_finds_it_instead_of_meeting_the_422(sandbox: Sandbox) -> None:
    client = shiprocket(sandbox)
    first = run_action(client, "create_order", order_inputs("ESB-6001"))
    # a replay, or a retry whose first answer was lost: the search finds the order, no create is sent
    again = run_action(client, "create_order", order_inputs("ESB-6001"))
    assert again.outcome == "found" and again.result["id"] == first.result["order_id"]
    assert again.result["shipments"][0]["id"] == first.result["shipment_id"]
    assert state(sandbox)["refused_duplicates"] == {} and len(state(sandbox)["orders"]) == 1


def test_a_create_answered_503_after_it_was_applied_is_found_on_the_retry(sandbox: Sandbox) -> None:
    sandbox.control("shiprocket", "/faults", {"mode": "commit_then_503", "requests": 1,
                                             "path": "/v1/external/orders/create/adhoc"})  # fmt: skip
    result = run_action(shiprocket(sandbox), "create_order", order_inputs("ESB-7001"))
    assert result.outcome == "found" and result.result["channel_order_id"] == "ESB-7001"
    assert len(state(sandbox)["orders"]) == 1 and state(sandbox)["refused_duplicates"] == {}


def test_assigning_an_awb_twice_never_gives_a_second_one(sandbox: Sandbox) -> None:
    client = shiprocket(sandbox)
    shipment_id = run_action(client, "create_order", order_inputs("ESB-8001")).result["shipment_id"]
    awb = run_action(client, "assign_awb", {"shipment_id": shipment_id}).result["awb_code"]
    again = run_action(client, "assign_awb", {"shipment_id": shipment_id})
    assert again.outcome == "succeeded" and "already assigned" in again.result["awb_assign_error"]
    assert [s["awb"] for s in state(sandbox)["shipments"]] == [awb]


def test_connection_test_logs_in_and_reads_one_order_page(sandbox: Sandbox) -> None:
    assert prove_credentials(shiprocket(sandbox)).ok
    refused = prove_credentials(shiprocket(sandbox, password="wrong"))
    assert not refused.ok and "Invalid email and password combination" in refused.message
