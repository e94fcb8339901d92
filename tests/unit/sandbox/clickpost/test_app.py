"""The clickpost@1.0.0 definition, through our runtime, against the sandbox: the key in the query (never in an
error), each search and action, a create sent again (a replay, or a retry after a lost answer) giving the same
order through ClickPost's 323, and a 429 waited out."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests

from connectors.runtime.connection_test import prove_credentials
from connectors.runtime.errors import AuthExpiredError, PermanentError
from connectors.runtime.http.client import AppClient, ConnectionValues
from connectors.runtime.steps import run_action, run_search
from connectors.sandbox import SandboxServer
from tests.unit.sandbox.clickpost.api import DELHIVERY, DEMO, SPEC, base_url, clickpost, order, state
from tests.unit.sandbox.fixtures import Sandbox, fast_config

WRONG_KEY = "11111111-2222-3333-4444-555555555555"


def test_connection_test_tracks_an_unknown_awb_and_says_why_a_key_is_refused(sandbox: Sandbox) -> None:
    worked = prove_credentials(clickpost(sandbox))
    assert worked.ok and worked.message == "Connected to ClickPost."
    refused = prove_credentials(clickpost(sandbox, key=WRONG_KEY))
    assert not refused.ok and "Authentication Failed" in refused.message and WRONG_KEY not in refused.message


def test_a_refused_key_fails_at_once_without_the_key_in_the_error(sandbox: Sandbox) -> None:
    with pytest.raises((PermanentError, AuthExpiredError)) as caught:
        run_search(clickpost(sandbox, key=WRONG_KEY), "track", {"waybill": "A1", "cp_id": DELHIVERY})
    assert "301" in str(caught.value) and WRONG_KEY not in str(caught.value)


def test_create_order_answers_the_awb_and_a_replay_gets_the_same_order(sandbox: Sandbox) -> None:
    client = clickpost(sandbox)
    inputs = order("ESB-5001")
    created = run_action(client, "create_order", inputs)
    assert created.outcome == "succeeded" and created.result["reference_number"] == "ESB-5001"
    awb = created.result["waybill"]

    again = run_action(client, "create_order", inputs)  # 323 "already placed" is success, with the same order
    assert again.outcome == "succeeded" and again.result["waybill"] == awb
    assert [o["waybill"] for o in state(sandbox)["orders"]] == [awb] and state(sandbox)["replays"] == {"ESB-5001": 1}

    found = run_search(client, "find_order", {"reference_number": "ESB-5001"})
    assert found.outcome == "found" and found.result["waybill"] == awb
    assert run_search(client, "find_order", {"reference_number": "ESB-NONE"}).outcome == "not_found"


def test_a_create_answered_503_after_it_was_applied_is_sent_again_and_answered_323(sandbox: Sandbox) -> None:
    sandbox.control("clickpost", "/faults", {"mode": "commit_then_503", "requests": 1, "path": "/api/v3/create-order/"})
    result = run_action(clickpost(sandbox), "create_order", order("ESB-6001"))
    assert result.outcome == "succeeded" and result.result["reference_number"] == "ESB-6001"
    assert len(state(sandbox)["orders"]) == 1 and state(sandbox)["replays"] == {"ESB-6001": 1}


def test_an_invalid_order_fails_permanently_with_clickposts_code(sandbox: Sandbox) -> None:
    inputs = order("ESB-7001", order_type="COD", cod_value=0)
    with pytest.raises(PermanentError) as caught:
        run_action(clickpost(sandbox), "create_order", inputs)
    assert caught.value.status == 400 and "Invalid Cod Value" in str(caught.value)
    assert state(sandbox)["orders"] == []


def test_register_an_awb_twice_and_track_it(sandbox: Sandbox) -> None:
    client = clickpost(sandbox)
    inputs = {"waybill": "1490000000077", "cp_id": DELHIVERY, "shipment_info": {"reference_number": "ESB-8001"}}
    registered = run_action(client, "register_awb", inputs)
    assert registered.outcome == "succeeded" and registered.result["tracking_id"]
    again = run_action(client, "register_awb", inputs)  # 303 in a 200: harmless
    assert again.result["tracking_id"] == registered.result["tracking_id"] and len(state(sandbox)["awbs"]) == 1

    tracked = run_search(client, "track", {"waybill": "1490000000077", "cp_id": DELHIVERY})
    assert tracked.outcome == "found"
    shipment = tracked.result["1490000000077"]
    assert shipment["valid"] is True and shipment["latest_status"]["clickpost_status_code"] == 28
    sandbox.control("clickpost", "/scan", {"waybill": "1490000000077", "code": 5, "location": "Bhiwandi_HB"})
    latest = run_search(client, "track", {"waybill": "1490000000077", "cp_id": DELHIVERY}).result["1490000000077"]
    assert latest["latest_status"]["clickpost_status_description"] == "InTransit"
    assert [s["clickpost_status_code"] for s in latest["scans"]] == [5, 28]


@pytest.fixture(scope="module")
def slow_account() -> Iterator[SandboxServer]:
    """ClickPost allowing one call at once and one a second per key."""
    with SandboxServer(fast_config(clickpost={"api_requests_per_second": 1, "api_burst": 1})) as server:
        yield server


def test_a_429_is_waited_out_for_its_retry_after_and_the_call_succeeds(slow_account: SandboxServer) -> None:
    sandbox = Sandbox(slow_account)
    slow_account.state.reset()
    session = requests.Session()
    session.trust_env = False
    connection = ConnectionValues("sandbox-clickpost-slow", {"username": DEMO.username, "key": DEMO.key}, {})
    client = AppClient(SPEC, connection, environment={"BASE_URL": base_url(sandbox)}, session=session,
                       sleep=time.sleep)  # fmt: skip
    started = time.monotonic()
    for waybill in ("A1", "A2"):
        assert run_search(client, "track", {"waybill": waybill, "cp_id": DELHIVERY}).outcome == "found"
    assert sandbox.rate_limited("clickpost")[0] == 1  # the second call met one 429, then waited Retry-After (1 s)
    assert time.monotonic() - started >= 1.0


def test_the_key_in_the_query_never_reaches_the_attempt_log(sandbox: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="connectors.http")
    run_search(clickpost(sandbox), "track", {"waybill": "A1", "cp_id": DELHIVERY})
    with pytest.raises((PermanentError, AuthExpiredError)):
        run_search(clickpost(sandbox, key=WRONG_KEY), "track", {"waybill": "A1", "cp_id": DELHIVERY})
    lines = [r.getMessage() for r in caplog.records if r.name == "connectors.http"]
    assert len(lines) == 2 and all("track-order" in line for line in lines)
    assert not any(DEMO.key in line or WRONG_KEY in line for line in lines), lines
