"""The Flipkart sandbox speaks Flipkart's contract: the GET token endpoint with Basic, bearer checks with the OAuth
service's errors, token expiry, `hasMore`/`nextPageUrl` paging, pack and RTD per shipment, inventory per SKU, and
the optional request-rate limit with 429."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.sandbox import SandboxServer
from tests.unit.sandbox.fixtures import LIMIT, NEVER, Sandbox, fast_config
from tests.unit.sandbox.flipkart.api import APP_ID, LOCATION, new_shipment, seller, token, token_call

APPROVED = {"filter": {"type": "preDispatch", "states": ["APPROVED"], "locationId": LOCATION}}


def test_token_from_the_get_endpoint_with_basic_auth(sandbox: Sandbox) -> None:
    answer = token_call(sandbox).json()
    assert answer["token_type"] == "bearer" and answer["scope"] == "Seller_Api"
    assert answer["expires_in"] == 5_184_000
    assert seller(sandbox, "POST", "/v3/shipments/filter", answer["access_token"], json=APPROVED).status_code == 200


def test_token_endpoint_refuses_bad_credentials_grants_scopes_and_post(sandbox: Sandbox) -> None:
    wrong = token_call(sandbox, auth=(APP_ID, "wrong"))
    assert wrong.status_code == 401 and wrong.json() == {
        "error": "unauthorized",
        "error_description": "Bad credentials",
    }
    assert token_call(sandbox, auth=None).status_code == 401
    assert token_call(sandbox, grant_type="password").json()["error"] == "unsupported_grant_type"
    assert token_call(sandbox, scope="Other").json()["error"] == "invalid_scope"
    posted = sandbox.http.post(f"{sandbox.url}/flipkart/oauth-service/oauth/token", timeout=10)
    assert posted.status_code == 405


def test_seller_api_needs_a_valid_unexpired_bearer(sandbox: Sandbox) -> None:
    missing = seller(sandbox, "POST", "/v3/shipments/filter", None, json=APPROVED)
    assert missing.status_code == 401 and missing.json()["error"] == "unauthorized"
    forged = seller(sandbox, "POST", "/v3/shipments/filter", "abc.def", json=APPROVED)
    assert forged.status_code == 401 and forged.json()["error_description"].startswith("Invalid access token")
    bearer = token(sandbox)
    sandbox.control("flipkart", "/expire_tokens")
    expired = seller(sandbox, "POST", "/v3/shipments/filter", bearer, json=APPROVED)
    assert expired.status_code == 401 and expired.json()["error"] == "invalid_token"
    assert expired.json()["error_description"].startswith("Access token expired")
    assert seller(sandbox, "POST", "/v3/shipments/filter", token(sandbox), json=APPROVED).status_code == 200


def test_filter_pages_with_has_more_and_a_root_relative_next_page_url(sandbox: Sandbox) -> None:
    ids = [new_shipment(sandbox, updated_at=f"2026-11-20T10:0{n}:00Z")["shipmentId"] for n in range(5)]
    bearer, seen = token(sandbox), []
    page = seller(sandbox, "POST", "/v3/shipments/filter", bearer, json={**APPROVED, "pagination": {"pageSize": 2}})
    while True:
        body = page.json()
        seen += [s["shipmentId"] for s in body["shipments"]]
        if not body["hasMore"]:
            assert body["nextPageUrl"] is None
            break
        assert body["nextPageUrl"].startswith("/v3/shipments/filter?next_token=")
        page = seller(sandbox, "GET", body["nextPageUrl"], bearer)
    assert seen == ids


def test_filter_validates_type_states_dates_and_page_size(sandbox: Sandbox) -> None:
    bearer = token(sandbox)

    def problem(body: dict) -> str:
        response = seller(sandbox, "POST", "/v3/shipments/filter", bearer, json=body)
        assert response.status_code == 400
        return response.json()["errors"][0]["path"]

    assert problem({}) == "filter"
    assert problem({"filter": {"type": "later"}}) == "filter.type"
    assert problem({"filter": {"type": "preDispatch", "states": ["SHIPPED"]}}) == "filter.states"
    assert problem({"filter": {"type": "preDispatch", "modifiedDate": {"from": "yesterday"}}}) == "filter.modifiedDate"
    assert problem({**APPROVED, "pagination": {"pageSize": 21}}) == "pagination.pageSize"
    assert seller(sandbox, "GET", "/v3/shipments/filter?next_token=nope", bearer).status_code == 400


def test_pack_then_ready_to_dispatch_answer_per_shipment(sandbox: Sandbox) -> None:
    shipment, bearer = new_shipment(sandbox), token(sandbox)
    sid, order_id = shipment["shipmentId"], shipment["orderItems"][0]["orderId"]
    early = seller(
        sandbox, "POST", "/v3/shipments/dispatch", bearer, json={"shipmentIds": [sid], "locationId": LOCATION}
    )
    assert early.json()["shipments"][0]["errorCode"] == "INVALID_STATE"
    invoice = {"orderId": order_id, "invoiceNumber": "INV-1", "invoiceDate": "2026-11-20"}
    entries = [{"shipmentId": sid, "locationId": LOCATION, "invoices": [invoice]},
               {"shipmentId": "nope", "locationId": LOCATION, "invoices": [invoice]}]  # fmt: skip
    packed = seller(sandbox, "POST", "/v3/shipments/labels", bearer, json={"shipments": entries})
    assert [(s["shipmentId"], s["status"]) for s in packed.json()["shipments"]] == [
        (sid, "SUCCESS"),
        ("nope", "FAILURE"),
    ]
    rtd = seller(sandbox, "POST", "/v3/shipments/dispatch", bearer, json={"shipmentIds": [sid], "locationId": LOCATION})
    assert rtd.json()["shipments"] == [
        {"shipmentId": sid, "status": "SUCCESS", "errorCode": None, "errorMessage": None}
    ]
    state = sandbox.control("flipkart", "/state", method="GET")
    assert state["shipments"][0]["shipment"]["orderItems"][0]["status"] == "READY_TO_DISPATCH"
    too_many = seller(sandbox, "POST", "/v3/shipments/dispatch", bearer, json={"shipmentIds": ["x"] * 26})
    assert too_many.status_code == 400


def test_inventory_update_answers_per_sku(sandbox: Sandbox) -> None:
    body = {
        "ESB-TEE-RED-M": {"product_id": "TSHFX7ZRED", "locations": [{"id": LOCATION, "inventory": 7}]},
        "ESB-MUG-WHITE": {"product_id": "WRONG", "locations": [{"id": LOCATION, "inventory": 1}]},
        "UNKNOWN": {"product_id": "X", "locations": [{"id": LOCATION, "inventory": 1}]},
    }
    answer = seller(sandbox, "POST", "/listings/v3/update/inventory", token(sandbox), json=body).json()
    assert {sku: result["status"] for sku, result in answer.items()} == {
        "ESB-TEE-RED-M": "SUCCESS", "ESB-MUG-WHITE": "FAILURE", "UNKNOWN": "FAILURE",
    }  # fmt: skip
    listings = {row["sku"]: row for row in sandbox.control("flipkart", "/state", method="GET")["listings"]}
    assert listings["ESB-TEE-RED-M"]["locations"] == [{"id": LOCATION, "status": "ENABLED", "inventory": 7}]


@pytest.fixture(scope="module")
def limited() -> Iterator[Sandbox]:
    config = fast_config(flipkart={"api_requests_per_second": NEVER, "api_burst": LIMIT})
    with SandboxServer(config) as server:
        yield Sandbox(server)


def test_over_the_configured_limit_answers_429_with_retry_after_and_counts_it(limited: Sandbox) -> None:
    bearer = token(limited)  # the token endpoint is not limited
    statuses = [seller(limited, "POST", "/v3/shipments/filter", bearer, json=APPROVED) for _ in range(LIMIT + 2)]
    assert [r.status_code for r in statuses] == [200] * LIMIT + [429, 429]
    assert int(statuses[-1].headers["Retry-After"]) >= 1
    assert statuses[-1].json()["errors"][0]["code"] == 429
    assert limited.rate_limited("flipkart") == (2, {APP_ID: 2})
    assert seller(limited, "POST", "/v3/shipments/filter", None, json=APPROVED).status_code == 401  # not counted
    assert limited.rate_limited("flipkart")[0] == 2


def test_the_limit_is_off_by_default(sandbox: Sandbox) -> None:
    bearer = token(sandbox)
    assert {seller(sandbox, "GET", "/v3/shipments/x", bearer).status_code for _ in range(30)} == {200}
