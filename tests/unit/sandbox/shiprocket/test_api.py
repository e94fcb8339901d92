"""The Shiprocket sandbox's API over HTTP: the API user's login and its JWT (reused, 401 once expired), adhoc orders
(422 for a reused order_id), the order list's pages, AWB assignment, pickups, tracking, and the bare 429."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest

from connectors.sandbox import SandboxServer
from tests.unit.sandbox.fixtures import Sandbox, fast_config
from tests.unit.sandbox.shiprocket.api import DEMO, adhoc_order, call, login, state, token


def test_login_answers_the_api_user_with_a_ten_day_jwt(sandbox: Sandbox) -> None:
    response = login(sandbox)
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == DEMO.email and {"id", "company_id", "first_name", "token"} <= set(body)
    claims = json.loads(base64.urlsafe_b64decode(body["token"].split(".")[1] + "=="))
    assert claims["exp"] - claims["iat"] == 240 * 3600


def test_wrong_password_and_missing_fields_are_refused(sandbox: Sandbox) -> None:
    wrong = login(sandbox, password="nope")
    assert wrong.status_code == 400
    assert wrong.json() == {"message": "Invalid email and password combination", "status_code": 400}
    missing = sandbox.http.post(f"{sandbox.url}/shiprocket/v1/external/auth/login", json={"email": DEMO.email})
    assert missing.status_code == 422 and missing.json()["errors"] == {"password": ["The password field is required."]}


def test_calls_without_a_valid_token_get_401_and_an_expired_token_says_so(sandbox: Sandbox) -> None:
    for bearer in (None, "not-a-token"):
        refused = call(sandbox, "GET", "/orders", bearer)
        assert refused.status_code == 401 and refused.json() == {"message": "Unauthenticated.", "status_code": 401}
    bearer = token(sandbox)
    assert call(sandbox, "GET", "/orders", bearer).status_code == 200
    assert sandbox.control("shiprocket", "/tokens/expire") == {"expired": 1}
    expired = call(sandbox, "GET", "/orders", bearer)
    assert expired.status_code == 401 and expired.json()["message"] == "Token has expired"
    assert call(sandbox, "GET", "/orders", token(sandbox)).status_code == 200


def test_token_lifetime_comes_from_the_config(sandbox: Sandbox) -> None:
    config = sandbox.server.app.state.config.shiprocket
    config.token_ttl = 0
    try:
        assert call(sandbox, "GET", "/orders", token(sandbox)).json()["message"] == "Token has expired"
    finally:
        config.token_ttl = 864_000


def test_adhoc_order_is_created_once_and_a_reused_order_id_is_refused_with_422(sandbox: Sandbox) -> None:
    bearer = token(sandbox)
    created = call(sandbox, "POST", "/orders/create/adhoc", bearer, json=adhoc_order("ESB-1001"))
    assert created.status_code == 200
    body = created.json()
    assert body["status"] == "NEW" and body["status_code"] == 1 and body["awb_code"] == ""
    again = call(sandbox, "POST", "/orders/create/adhoc", bearer, json=adhoc_order("ESB-1001"))
    assert again.status_code == 422
    assert again.json()["errors"] == {"order_id": ["The order id has already been taken."]}
    assert state(sandbox)["refused_duplicates"] == {"ESB-1001": 1} and len(state(sandbox)["orders"]) == 1


def test_adhoc_order_validation(sandbox: Sandbox) -> None:
    bearer = token(sandbox)
    incomplete = adhoc_order("ESB-2", sub_total="", order_items=[{"name": "Tee"}])
    refused = call(sandbox, "POST", "/orders/create/adhoc", bearer, json=incomplete)
    assert refused.status_code == 422
    assert {"sub_total", "order_items.0.sku", "order_items.0.units"} <= set(refused.json()["errors"])
    elsewhere = call(sandbox, "POST", "/orders/create/adhoc", bearer, json=adhoc_order("ESB-3", pickup_location="X"))
    assert elsewhere.status_code == 422 and "Wrong Pickup location" in elsewhere.json()["message"]
    assert state(sandbox)["orders"] == []


def test_order_list_pages_and_search(sandbox: Sandbox) -> None:
    bearer = token(sandbox)
    for number in range(5):
        call(sandbox, "POST", "/orders/create/adhoc", bearer, json=adhoc_order(f"ESB-{number}"))
    first = call(sandbox, "GET", "/orders", bearer, params={"per_page": 2}).json()
    assert [o["channel_order_id"] for o in first["data"]] == ["ESB-4", "ESB-3"]  # newest first
    assert first["meta"]["pagination"] | {"links": None} == {
        "total": 5, "count": 2, "per_page": 2, "current_page": 1, "total_pages": 3, "links": None,
    }  # fmt: skip
    assert "page=2" in first["meta"]["pagination"]["links"]["next"]
    last = call(sandbox, "GET", "/orders", bearer, params={"per_page": 2, "page": 3}).json()
    assert [o["channel_order_id"] for o in last["data"]] == ["ESB-0"] and last["meta"]["pagination"]["links"] == []
    found = call(sandbox, "GET", "/orders", bearer, params={"search": "ESB-2"}).json()["data"]
    assert [o["channel_order_id"] for o in found] == ["ESB-2"] and found[0]["shipments"][0]["id"]


def test_awb_pickup_and_tracking(sandbox: Sandbox) -> None:
    bearer = token(sandbox)
    shipment_id = call(sandbox, "POST", "/orders/create/adhoc", bearer, json=adhoc_order("ESB-7")).json()["shipment_id"]
    too_early = call(sandbox, "POST", "/courier/generate/pickup", bearer, json={"shipment_id": [shipment_id]})
    assert too_early.status_code == 400
    assigned = call(sandbox, "POST", "/courier/assign/awb", bearer, json={"shipment_id": shipment_id}).json()
    assert assigned["awb_assign_status"] == 1
    awb = assigned["response"]["data"]["awb_code"]
    again = call(sandbox, "POST", "/courier/assign/awb", bearer, json={"shipment_id": shipment_id})
    assert again.status_code == 200 and again.json()["awb_assign_status"] == 0  # an error in a 200, no second AWB
    pickup = call(sandbox, "POST", "/courier/generate/pickup", bearer, json={"shipment_id": [shipment_id]})
    assert pickup.status_code == 200 and pickup.json()["pickup_status"] == 1
    repeat = call(sandbox, "POST", "/courier/generate/pickup", bearer, json={"shipment_id": [shipment_id]})
    assert repeat.status_code == 400 and repeat.json()["message"] == "Already in Pickup Queue."
    tracked = call(sandbox, "GET", f"/courier/track/awb/{awb}", bearer).json()["tracking_data"]
    assert tracked["shipment_status"] == 4 and tracked["shipment_track"][0]["shipment_id"] == shipment_id
    assert [a["sr-status"] for a in tracked["shipment_track_activities"]] == ["4", "1"]  # newest first
    unknown = call(sandbox, "GET", "/courier/track/awb/0000", bearer)
    assert unknown.status_code == 200 and unknown.json()["tracking_data"]["shipment_track"] == []


LIMIT = 3


@pytest.fixture(scope="module")
def _limited() -> Iterator[SandboxServer]:
    with SandboxServer(fast_config(shiprocket={"api_requests_per_second": 1e-9, "api_burst": LIMIT})) as server:
        yield server


def test_rate_limit_answers_a_bare_429(_limited: SandboxServer) -> None:
    _limited.state.reset()
    sandbox = Sandbox(_limited)
    bearer = token(sandbox)  # the login is not counted
    statuses = [call(sandbox, "GET", "/orders", bearer).status_code for _ in range(LIMIT)]
    refused = call(sandbox, "GET", "/orders", bearer)
    assert statuses == [200] * LIMIT and refused.status_code == 429
    assert refused.json() == {"message": "You have exceeded the API call rate limit", "status_code": 429}
    assert "retry-after" not in refused.headers
    assert sandbox.rate_limited("shiprocket") == (1, {DEMO.email: 1})
