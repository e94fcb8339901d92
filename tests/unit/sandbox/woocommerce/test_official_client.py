"""WooCommerce's own Python client (`woocommerce` on PyPI), unchanged, against the sandbox. Over plain HTTP it
signs with OAuth 1.0a one-legged HMAC-SHA256 in the query string: the path our app takes over HTTP."""

from __future__ import annotations

import pytest
from woocommerce import API

from tests.unit.sandbox.fixtures import Sandbox
from tests.unit.sandbox.woocommerce.api import CONSUMER_KEY, CONSUMER_SECRET, new_order, store_url


@pytest.fixture
def api(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> API:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # the client uses requests' environment
    return API(url=store_url(sandbox), consumer_key=CONSUMER_KEY, consumer_secret=CONSUMER_SECRET, timeout=10)


def test_official_client_lists_orders_modified_after_with_paging(sandbox: Sandbox, api: API) -> None:
    for _ in range(3):
        new_order(sandbox, date_modified="2024-10-02T10:00:00Z")
    params = {"modified_after": "2024-10-01T00:00:00", "dates_are_gmt": "true", "per_page": 2, "page": 2}
    response = api.get("orders", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["X-WP-Total"] == "3" and response.headers["X-WP-TotalPages"] == "2"
    assert len(response.json()) == 1


def test_official_client_completes_an_order_and_adds_a_note(sandbox: Sandbox, api: API) -> None:
    order = new_order(sandbox)
    assert api.put(f"orders/{order['id']}", {"status": "completed"}).json()["status"] == "completed"
    note = api.post(f"orders/{order['id']}/notes", {"note": "Shipped: AWB 1490800000009", "customer_note": True})
    assert note.status_code == 201
    assert api.get("orders", params={"include": order["id"]}).json()[0]["status"] == "completed"


def test_official_client_sets_product_and_variation_stock(api: API) -> None:
    assert api.put("products/11", {"manage_stock": True, "stock_quantity": 4}).json()["stock_quantity"] == 4
    assert api.put("products/12/variations/13", {"stock_quantity": 2}).json()["stock_quantity"] == 2
    assert [p["id"] for p in api.get("products", params={"sku": "ESB-MUG-WHITE"}).json()] == [11]


def test_official_client_with_a_wrong_secret_gets_woocommerce_error(sandbox: Sandbox) -> None:
    api = API(url=store_url(sandbox), consumer_key=CONSUMER_KEY, consumer_secret="cs_wrong", timeout=10)
    response = api.get("orders")
    assert response.status_code == 401
    assert response.json()["message"] == "Invalid signature - provided signature does not match."
