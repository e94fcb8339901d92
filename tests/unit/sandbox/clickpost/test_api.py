"""The ClickPost sandbox over HTTP, as ClickPost answers: the query-parameter auth and its 301, order creation and
its codes (323 for an order placed before), AWB registration (303 again), tracking keyed by AWB, and the 429 of
the (configured) rate limit."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from connectors.sandbox import SandboxServer
from tests.unit.sandbox.clickpost.api import DELHIVERY, DEMO, call, order, state
from tests.unit.sandbox.fixtures import LIMIT, NEVER, Sandbox, fast_config

TRACK = "/api/v2/track-order/"
CREATE = "/api/v3/create-order/"
REGISTER = "/api/v3/tracking/awb-register/"


def meta(response: Any) -> tuple[int, int, str]:
    body = response.json()
    return response.status_code, body["meta"]["status"], body["meta"]["message"]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"username": DEMO.username, "key": "00000000-0000-0000-0000-000000000000"},
        {"username": "someone-else", "key": DEMO.key},
        {"key": DEMO.key},  # track-order needs the username too
    ],
)
def test_a_missing_or_wrong_key_or_username_is_refused_with_301(sandbox: Sandbox, params: dict[str, str]) -> None:
    response = call(sandbox, "GET", TRACK, key=None, params={**params, "waybill": "X1", "cp_id": DELHIVERY})
    assert meta(response) == (401, 301, "Authentication Failed: Invalid Token or API Key")
    assert response.json()["meta"]["success"] is False


def test_awb_registration_takes_the_key_alone(sandbox: Sandbox) -> None:
    url = f"{sandbox.url}/clickpost{REGISTER}"
    registered = sandbox.http.post(url, params={"key": DEMO.key}, json={"waybill": "AWB-K1", "cp_id": DELHIVERY})
    assert meta(registered) == (200, 200, "SUCCESS")
    refused = sandbox.http.post(url, params={"key": "wrong"}, json={"waybill": "AWB-K2", "cp_id": DELHIVERY})
    assert meta(refused)[:2] == (401, 301)


def test_an_order_placed_again_is_answered_323_with_the_same_awb(sandbox: Sandbox) -> None:
    created = call(sandbox, "POST", CREATE, json=order("ESB-1001"))
    assert meta(created) == (200, 200, "SUCCESS")
    result = created.json()["result"]
    assert (result["reference_number"], result["courier_partner_id"], result["courier_name"]) == (
        "ESB-1001", DELHIVERY, "Delhivery",
    )  # fmt: skip
    assert result["waybill"] and result["label"].endswith(f"{result['waybill']}.pdf")

    again = call(sandbox, "POST", CREATE, json=order("ESB-1001"))
    assert meta(again) == (200, 323, "You have Already placed this order")
    assert again.json()["result"] == result
    assert len(state(sandbox)["orders"]) == 1 and state(sandbox)["replays"] == {"ESB-1001": 1}


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"order_type": "CASH"}, 307),
        ({"delivery_type": "SIDEWAYS"}, 309),
        ({"delivery_type": "RVP"}, 310),
        ({"items": []}, 312),
        ({"items": ["a shirt"]}, 313),
        ({"drop_info": {"drop_name": "Asha"}}, 314),
        ({"order_type": "COD", "cod_value": 0}, 315),
        ({"order_type": "COD", "cod_value": 5000}, 315),
        ({"courier_partner": 999}, 302),
    ],
)
def test_an_invalid_order_is_refused_with_its_clickpost_code(
    sandbox: Sandbox, change: dict[str, Any], code: int
) -> None:
    body = order("ESB-BAD")
    if "drop_info" in change:
        body["drop_info"] = change["drop_info"]
    else:
        body["shipment_details"].update(change)
    status, meta_status, _ = meta(call(sandbox, "POST", CREATE, json=body))
    assert (status, meta_status) == (400, code)
    assert state(sandbox)["orders"] == []


def test_a_body_that_is_not_json_is_invalid_post_data(sandbox: Sandbox) -> None:
    response = call(sandbox, "POST", CREATE, data=b"{not json", headers={"Content-Type": "application/json"})
    assert meta(response)[:2] == (400, 328)


def test_an_order_is_fetched_by_reference_number_or_by_awb(sandbox: Sandbox) -> None:
    result = call(sandbox, "POST", CREATE, json=order("ESB-2001")).json()["result"]
    by_reference = call(sandbox, "GET", CREATE, params={"reference_number": "ESB-2001"})
    by_awb = call(sandbox, "GET", CREATE, params={"awb": result["waybill"], "cp_id": DELHIVERY})
    assert by_reference.json()["result"] == by_awb.json()["result"] == result
    assert meta(call(sandbox, "GET", CREATE, params={"reference_number": "NOPE"}))[:2] == (404, 404)


def test_a_registered_awb_is_tracked_and_registering_it_again_answers_303(sandbox: Sandbox) -> None:
    body = {"waybill": "1490000000011", "cp_id": DELHIVERY, "shipment_info": {"reference_number": "ESB-3001"}}
    first = call(sandbox, "POST", REGISTER, json=body)
    assert meta(first) == (200, 200, "SUCCESS")
    again = call(sandbox, "POST", REGISTER, json=body)
    assert meta(again) == (200, 303, "waybill already registered")
    assert again.json()["result"]["tracking_id"] == first.json()["result"]["tracking_id"]
    assert meta(call(sandbox, "POST", REGISTER, json={**body, "cp_id": 999}))[:2] == (400, 302)

    tracked = call(sandbox, "GET", TRACK, params={"waybill": "1490000000011,UNKNOWN-1", "cp_id": DELHIVERY})
    result = tracked.json()["result"]
    assert result["UNKNOWN-1"] == {"valid": False}
    latest = result["1490000000011"]["latest_status"]
    assert (latest["clickpost_status_code"], latest["clickpost_status_description"]) == (28, "AWBRegistered")
    assert latest["reference_number"] == "ESB-3001" and result["1490000000011"]["valid"] is True
    # the same AWB under another courier partner is not this shipment
    other = call(sandbox, "GET", TRACK, params={"waybill": "1490000000011", "cp_id": 5}).json()["result"]
    assert other == {"1490000000011": {"valid": False}}


def test_track_takes_at_most_five_waybills(sandbox: Sandbox) -> None:
    six = ",".join(f"AWB-{n}" for n in range(6))
    assert meta(call(sandbox, "GET", TRACK, params={"waybill": six, "cp_id": DELHIVERY}))[:2] == (400, 400)
    assert meta(call(sandbox, "GET", TRACK, params={"waybill": "AWB-1"}))[:2] == (400, 400)


@pytest.fixture(scope="module")
def limited() -> Iterator[SandboxServer]:
    with SandboxServer(fast_config(clickpost={"api_requests_per_second": NEVER, "api_burst": LIMIT})) as server:
        yield server


def test_calls_past_the_limit_are_answered_429_and_counted(limited: SandboxServer) -> None:
    sandbox = Sandbox(limited)
    limited.state.reset()
    statuses = [call(sandbox, "GET", TRACK, params={"waybill": "A", "cp_id": DELHIVERY}) for _ in range(LIMIT + 2)]
    assert [r.status_code for r in statuses] == [200] * LIMIT + [429, 429]
    refused = statuses[-1]
    assert refused.json()["meta"] == {"status": 429, "message": "Too Many Requests", "success": False}
    assert int(refused.headers["Retry-After"]) >= 1
    total, by_client = sandbox.rate_limited("clickpost")
    assert total == 2 and list(by_client.values()) == [2] and DEMO.key not in str(by_client)
    # a refused key is refused before it spends anything
    assert call(sandbox, "GET", TRACK, key="wrong", params={"waybill": "A", "cp_id": 4}).status_code == 401
