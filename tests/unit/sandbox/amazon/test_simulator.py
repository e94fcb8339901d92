"""The Amazon sandbox speaks SP-API's contract: LWA's refresh_token grant and its error bodies, the
`x-amz-access-token` header and its 403 `Unauthorized` refusals, getOrders' filters and NextToken pages, per-operation
token buckets with `x-amzn-RateLimit-Limit` and 429 `QuotaExceeded`, confirmShipment and patchListingsItem."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from connectors.sandbox import SandboxServer
from tests.unit.sandbox.amazon.api import (
    CLIENT_ID,
    MARKETPLACE_ID,
    SELLER_ID,
    new_order,
    sp_api,
    token,
    token_call,
)
from tests.unit.sandbox.fixtures import Sandbox, fast_config

START = dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)


def at(minute: int) -> str:
    return (START + dt.timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_lwa_issues_an_access_token_for_an_hour(sandbox: Sandbox) -> None:
    body = token_call(sandbox).json()
    assert body["access_token"].startswith("Atza|") and body["token_type"] == "bearer"
    assert body["expires_in"] == 3600


@pytest.mark.parametrize(
    ("fields", "status", "error"),
    [
        ({"client_secret": "wrong"}, 401, "invalid_client"),
        ({"client_id": "amzn1.application-oa2-client.other"}, 401, "invalid_client"),
        ({"refresh_token": "Atzr|revoked"}, 400, "invalid_grant"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        ({"refresh_token": ""}, 400, "invalid_request"),
    ],
)
def test_lwa_refusals_are_oauth_error_bodies(sandbox: Sandbox, fields: dict, status: int, error: str) -> None:
    response = token_call(sandbox, **fields)
    assert response.status_code == status
    assert response.json()["error"] == error and response.json()["error_description"]


def test_sp_api_refuses_a_missing_malformed_or_expired_token_with_403(sandbox: Sandbox) -> None:
    path = f"/orders/v0/orders?MarketplaceIds={MARKETPLACE_ID}&LastUpdatedAfter={at(0)}"
    missing = sp_api(sandbox, "GET", path, None)
    assert missing.status_code == 403 and missing.json()["errors"][0]["code"] == "Unauthorized"
    forged = sp_api(sandbox, "GET", path, "Atza|forged.signature")
    assert "revoked, malformed or invalid" in forged.json()["errors"][0]["details"]
    access_token = token(sandbox)
    assert sp_api(sandbox, "GET", path, access_token).status_code == 200
    sandbox.control("amazon", "/expire_tokens")
    expired = sp_api(sandbox, "GET", path, access_token)
    assert expired.status_code == 403
    assert expired.json() == {"errors": [{"code": "Unauthorized", "message": "Access to requested resource is denied.",
                                          "details": "The access token you provided has expired."}]}  # fmt: skip
    assert sp_api(sandbox, "GET", path, token(sandbox)).status_code == 200


def test_access_tokens_expire_after_the_configured_lifetime() -> None:
    with SandboxServer(fast_config(amazon={"token_ttl": -1})) as server:
        sandbox = Sandbox(server)
        path = f"/orders/v0/orders?MarketplaceIds={MARKETPLACE_ID}&LastUpdatedAfter={at(0)}"
        answer = sp_api(sandbox, "GET", path, token(sandbox))
        assert answer.status_code == 403 and "has expired" in answer.text


def test_get_orders_pages_with_next_token_and_needs_marketplace_ids_on_every_page(sandbox: Sandbox) -> None:
    inside = [new_order(sandbox, updated_at=at(m))["AmazonOrderId"] for m in range(5)]
    new_order(sandbox, updated_at=at(90))
    new_order(sandbox, updated_at=at(2), marketplace_id="A1F83G8C2ARO7P")
    access_token = token(sandbox)
    query = {"MarketplaceIds": MARKETPLACE_ID, "LastUpdatedAfter": at(0), "LastUpdatedBefore": at(60),
             "MaxResultsPerPage": 2}  # fmt: skip
    seen, page = [], sp_api(sandbox, "GET", "/orders/v0/orders", access_token, params=query).json()["payload"]
    assert page["LastUpdatedBefore"] == "2026-11-20T11:00:00Z"
    seen += [order["AmazonOrderId"] for order in page["Orders"]]
    while "NextToken" in page:
        without = sp_api(sandbox, "GET", "/orders/v0/orders", access_token, params={"NextToken": page["NextToken"]})
        assert without.status_code == 400 and "MarketplaceIds" in without.json()["errors"][0]["message"]
        params = {"MarketplaceIds": MARKETPLACE_ID, "NextToken": page["NextToken"]}
        page = sp_api(sandbox, "GET", "/orders/v0/orders", access_token, params=params).json()["payload"]
        seen += [order["AmazonOrderId"] for order in page["Orders"]]
    assert seen == inside


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "Either CreatedAfter or LastUpdatedAfter"),
        ({"CreatedAfter": "2026-11-20T10:00:00Z", "LastUpdatedAfter": "2026-11-20T10:00:00Z"}, "Only one of"),
        ({"LastUpdatedAfter": "2026-11-20T10:00:00Z", "LastUpdatedBefore": "2999-01-01T00:00:00Z"}, "2 minutes"),
        ({"LastUpdatedAfter": "2026-11-20T10:00:00Z", "MaxResultsPerPage": "101"}, "MaxResultsPerPage"),
        ({"LastUpdatedAfter": "2026-11-20T10:00:00Z", "NextToken": "nope"}, "Invalid NextToken"),
    ],
)
def test_get_orders_refuses_what_amazon_refuses(sandbox: Sandbox, params: dict, message: str) -> None:
    response = sp_api(
        sandbox, "GET", "/orders/v0/orders", token(sandbox), params={"MarketplaceIds": MARKETPLACE_ID, **params}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "InvalidInput" and message in response.json()["errors"][0]["message"]


def test_confirm_shipment_answers_204_ships_the_order_and_refuses_a_second_confirmation(sandbox: Sandbox) -> None:
    order = new_order(sandbox, quantity=2)
    access_token, order_id = token(sandbox), order["AmazonOrderId"]
    items = sp_api(sandbox, "GET", f"/orders/v0/orders/{order_id}/orderItems", access_token).json()["payload"]
    body = {"marketplaceId": MARKETPLACE_ID, "packageDetail": {
        "packageReferenceId": "1", "carrierCode": "Delhivery", "trackingNumber": "AWB1", "shipDate": at(0),
        "orderItems": [{"orderItemId": items["OrderItems"][0]["OrderItemId"], "quantity": 2}]}}  # fmt: skip
    path = f"/orders/v0/orders/{order_id}/shipmentConfirmation"
    confirmed = sp_api(sandbox, "POST", path, access_token, json=body)
    assert confirmed.status_code == 204 and confirmed.content == b""
    assert confirmed.headers["x-amzn-RateLimit-Limit"] == "2"
    shipped = sp_api(sandbox, "GET", f"/orders/v0/orders/{order_id}", access_token).json()["payload"]
    assert shipped["OrderStatus"] == "Shipped" and shipped["NumberOfItemsUnshipped"] == 0
    again = sp_api(sandbox, "POST", path, access_token, json=body)
    assert again.status_code == 400 and again.json()["errors"][0]["code"] == "InvalidInput"


def test_patch_listings_item_sets_the_mfn_quantity(sandbox: Sandbox) -> None:
    body = {"productType": "PRODUCT", "patches": [{"op": "replace", "path": "/attributes/fulfillment_availability",
            "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 7}]}]}  # fmt: skip
    path = f"/listings/2021-08-01/items/{SELLER_ID}/ESB-MUG-WHITE"
    answer = sp_api(sandbox, "PATCH", path, token(sandbox), params={"marketplaceIds": MARKETPLACE_ID}, json=body)
    assert answer.status_code == 200 and answer.json()["status"] == "ACCEPTED" and answer.json()["issues"] == []
    listings = sandbox.control("amazon", "/state", method="GET")["listings"]
    assert next(row for row in listings if row["sku"] == "ESB-MUG-WHITE")["quantity"] == 7
    unknown = sp_api(
        sandbox, "PATCH", f"/listings/2021-08-01/items/{SELLER_ID}/NOPE", token(sandbox),
        params={"marketplaceIds": MARKETPLACE_ID}, json=body,
    )  # fmt: skip
    assert unknown.status_code == 404 and unknown.json()["errors"][0]["code"] == "NotFound"


@pytest.fixture(scope="module")
def tight() -> Iterator[Sandbox]:
    """getOrders with a burst of 2 that never refills during a test; other operations as documented."""
    with SandboxServer(fast_config(amazon={"get_orders_rate": 1e-9, "get_orders_burst": 2})) as server:
        yield Sandbox(server)


def test_each_operation_has_its_own_bucket_and_429s_say_quota_exceeded(tight: Sandbox) -> None:
    tight.state.reset()
    access_token, order = token(tight), new_order(tight)
    query = {"MarketplaceIds": MARKETPLACE_ID, "LastUpdatedAfter": at(0)}
    answers = [sp_api(tight, "GET", "/orders/v0/orders", access_token, params=query) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].json()["errors"][0]["code"] == "QuotaExceeded"
    assert all(a.headers["x-amzn-RateLimit-Limit"] == "1e-09" and a.headers["x-amzn-RequestId"] for a in answers)
    items = sp_api(tight, "GET", f"/orders/v0/orders/{order['AmazonOrderId']}/orderItems", access_token)
    assert items.status_code == 200 and items.headers["x-amzn-RateLimit-Limit"] == "0.5"
    assert tight.rate_limited("amazon") == (1, {CLIENT_ID: 1})
