"""The WooCommerce sandbox's contract: authentication as WC_REST_Authentication answers it, paging headers,
orders, notes and stock."""

from __future__ import annotations

import time

import pytest
from requests.auth import HTTPBasicAuth

from tests.unit.sandbox.fixtures import Sandbox
from tests.unit.sandbox.woocommerce.api import CONSUMER_KEY, CONSUMER_SECRET, new_order, signed, wc

HTTPS = {"X-Forwarded-Proto": "https"}


def test_oauth1_one_legged_query_signature_is_accepted_over_http(sandbox: Sandbox) -> None:
    new_order(sandbox)
    response = wc(sandbox, "GET", "/orders", params={"modified_after": "2000-01-01T00:00:00", "per_page": 5})
    assert response.status_code == 200, response.text
    assert response.headers["X-WP-Total"] == "1" and response.headers["X-WP-TotalPages"] == "1"


def test_request_without_credentials_is_refused_by_the_permission_check(sandbox: Sandbox) -> None:
    response = wc(sandbox, "GET", "/orders", auth=None)
    assert response.status_code == 401
    assert response.json() == {
        "code": "woocommerce_rest_cannot_view",
        "message": "Sorry, you cannot list resources.",
        "data": {"status": 401},
    }


@pytest.mark.parametrize(
    ("auth", "message"),
    [
        (signed(secret="cs_wrong"), "Invalid signature - provided signature does not match."),
        (signed(key="ck_unknown"), "Consumer key is invalid."),
    ],
)
def test_bad_oauth1_credentials_get_woocommerce_errors(sandbox: Sandbox, auth: object, message: str) -> None:
    response = wc(sandbox, "GET", "/orders", auth=auth)
    assert response.status_code == 401
    assert response.json()["code"] == "woocommerce_rest_authentication_error"
    assert response.json()["message"] == message


def test_a_replayed_signature_is_refused(sandbox: Sandbox) -> None:
    first = wc(sandbox, "GET", "/orders")
    assert first.status_code == 200
    again = sandbox.http.get(first.url, timeout=10)
    assert again.json()["message"] == "Invalid nonce - nonce has already been used."


def test_stale_timestamp_is_refused(sandbox: Sandbox) -> None:
    auth = signed()
    auth.client.timestamp = str(int(time.time()) - 3600)
    assert wc(sandbox, "GET", "/orders", auth=auth).json()["message"] == "Invalid timestamp."


def test_missing_oauth_parameters_are_named(sandbox: Sandbox) -> None:
    response = wc(sandbox, "GET", "/orders", auth=None, params={"oauth_consumer_key": CONSUMER_KEY})
    assert response.json()["code"] == "woocommerce_rest_authentication_missing_parameter"
    assert response.json()["message"].startswith("Missing OAuth parameter oauth_timestamp")


def test_basic_auth_works_only_over_https(sandbox: Sandbox) -> None:
    basic = HTTPBasicAuth(CONSUMER_KEY, CONSUMER_SECRET)
    assert wc(sandbox, "GET", "/orders", auth=basic).status_code == 401
    assert wc(sandbox, "GET", "/orders", auth=basic, headers=HTTPS).status_code == 200
    wrong = wc(sandbox, "GET", "/orders", auth=HTTPBasicAuth(CONSUMER_KEY, "cs_wrong"), headers=HTTPS)
    assert wrong.json()["message"] == "Consumer secret is invalid."
    query = {"consumer_key": CONSUMER_KEY, "consumer_secret": CONSUMER_SECRET}
    assert wc(sandbox, "GET", "/orders", auth=None, params=query, headers=HTTPS).status_code == 200


def test_orders_page_with_total_headers_and_link(sandbox: Sandbox) -> None:
    ids = [new_order(sandbox)["id"] for _ in range(5)]
    seen, page = [], 1
    while True:
        response = wc(sandbox, "GET", "/orders", params={"per_page": 2, "page": page, "order": "asc"})
        assert response.headers["X-WP-Total"] == "5" and response.headers["X-WP-TotalPages"] == "3"
        seen += [order["id"] for order in response.json()]
        if "next" not in response.links:
            break
        page += 1
    assert seen == ids and page == 3
    too_many = wc(sandbox, "GET", "/orders", params={"per_page": 101})
    assert too_many.status_code == 400 and too_many.json()["code"] == "rest_invalid_param"


def test_orders_filter_by_modified_window(sandbox: Sandbox) -> None:
    new_order(sandbox, date_modified="2024-10-01T10:00:00Z")
    inside = new_order(sandbox, date_modified="2024-10-02T10:00:00Z")
    window = {"modified_after": "2024-10-02T00:00:00", "modified_before": "2024-10-03T00:00:00", "dates_are_gmt": 1}
    assert [o["id"] for o in wc(sandbox, "GET", "/orders", params=window).json()] == [inside["id"]]
    assert inside["date_modified_gmt"] == "2024-10-02T10:00:00"


def test_order_status_update_and_tracking_note(sandbox: Sandbox) -> None:
    order = new_order(sandbox)
    updated = wc(sandbox, "PUT", f"/orders/{order['id']}", json={"status": "completed"}).json()
    assert updated["status"] == "completed" and updated["date_completed"]
    note = wc(
        sandbox, "POST", f"/orders/{order['id']}/notes", json={"note": "AWB 1490800000009", "customer_note": True}
    )
    assert note.status_code == 201 and note.json()["customer_note"] is True
    missing = wc(sandbox, "PUT", "/orders/999999", json={"status": "completed"})
    assert missing.status_code == 404 and missing.json()["code"] == "woocommerce_rest_shop_order_invalid_id"
    invalid = wc(sandbox, "PUT", f"/orders/{order['id']}", json={"status": "shipped"})
    assert invalid.status_code == 400 and invalid.json()["code"] == "rest_invalid_param"


def test_product_and_variation_stock_quantity(sandbox: Sandbox) -> None:
    product = wc(sandbox, "PUT", "/products/11", json={"manage_stock": True, "stock_quantity": 0}).json()
    assert product["stock_quantity"] == 0 and product["stock_status"] == "outofstock"
    variation = wc(sandbox, "PUT", "/products/12/variations/13", json={"stock_quantity": 7}).json()
    assert variation["stock_quantity"] == 7 and variation["stock_status"] == "instock"
    wrong_parent = wc(sandbox, "PUT", "/products/11/variations/13", json={"stock_quantity": 7})
    assert wrong_parent.json()["code"] == "woocommerce_rest_product_variation_invalid_id"
    by_sku = wc(sandbox, "GET", "/products", params={"sku": "ESB-TEE-RED-M"}).json()
    assert [p["id"] for p in by_sku] == [13]
