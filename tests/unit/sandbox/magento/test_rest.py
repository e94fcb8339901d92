"""The Magento sandbox's contract: admin tokens and integration (OAuth 1.0a) auth with Magento's error bodies,
`searchCriteria` filtering and paging (a page past the end repeats the last), ship, and MSI source items."""

from __future__ import annotations

import pytest

from tests.unit.sandbox.fixtures import Sandbox
from tests.unit.sandbox.magento.api import admin_token, call, criteria, integration, new_order, rest

NOT_AUTHORIZED = {
    "message": "The consumer isn't authorized to access %resources.",
    "parameters": {"resources": "Magento_Sales::actions_view"},
}


def test_admin_token_is_a_json_string_that_opens_the_api(sandbox: Sandbox) -> None:
    token = admin_token(sandbox)
    assert isinstance(token, str) and len(token) == 32
    response = call(sandbox, "GET", "/V1/orders", token, params=criteria())
    assert response.status_code == 200
    assert response.json() == {"items": [], "search_criteria": {"filter_groups": []}, "total_count": 0}


def test_wrong_admin_password_is_refused_with_magentos_message(sandbox: Sandbox) -> None:
    response = sandbox.http.post(
        f"{rest(sandbox)}/V1/integration/admin/token", json={"username": "sandbox-admin", "password": "x"}, timeout=10
    )
    assert response.status_code == 401
    assert response.json()["message"].startswith("The account sign-in was incorrect")


def test_missing_admin_credentials_name_each_required_field(sandbox: Sandbox) -> None:
    response = sandbox.http.post(f"{rest(sandbox)}/V1/integration/admin/token", json={}, timeout=10)
    assert response.status_code == 400
    assert response.json()["message"] == "One or more input exceptions have occurred."
    assert [e["parameters"]["fieldName"] for e in response.json()["errors"]] == ["username", "password"]


@pytest.mark.parametrize("token", ["not-a-token", None])
def test_unknown_or_missing_token_is_not_authorized(sandbox: Sandbox, token: str | None) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = sandbox.http.get(f"{rest(sandbox)}/V1/orders", params=criteria(), headers=headers, timeout=10)
    assert response.status_code == 401
    assert response.json() == NOT_AUTHORIZED


def test_expired_admin_token_is_refused_and_a_new_one_works(sandbox: Sandbox) -> None:
    token = admin_token(sandbox)
    assert sandbox.control("magento", "/admin-tokens/expire") == {"expired": 1}
    assert call(sandbox, "GET", "/V1/orders", token, params=criteria()).json() == NOT_AUTHORIZED
    assert call(sandbox, "GET", "/V1/orders", admin_token(sandbox), params=criteria()).status_code == 200


@pytest.mark.parametrize("method", ["HMAC-SHA256", "HMAC-SHA1"])
def test_integration_requests_signed_with_oauth1_are_accepted(sandbox: Sandbox, method: str) -> None:
    new_order(sandbox)
    response = call(sandbox, "GET", "/V1/orders", auth=integration(method=method), params=criteria(page_size=5))
    assert response.status_code == 200, response.text
    assert response.json()["total_count"] == 1


def test_integration_signature_with_a_wrong_secret_is_invalid(sandbox: Sandbox) -> None:
    response = call(sandbox, "GET", "/V1/orders", auth=integration(secret="wrong"), params=criteria())
    assert response.status_code == 401
    assert response.json() == {"message": "The signature is invalid. Verify and try again."}


def test_integration_access_token_as_bearer_is_refused_by_default(sandbox: Sandbox) -> None:
    from tests.unit.sandbox.magento.api import DEMO

    response = call(sandbox, "GET", "/V1/orders", DEMO.access_token, params=criteria())
    assert response.status_code == 401 and response.json() == NOT_AUTHORIZED


def test_orders_need_search_criteria(sandbox: Sandbox) -> None:
    response = call(sandbox, "GET", "/V1/orders")
    assert response.status_code == 400
    assert response.json() == {
        "message": '"%fieldName" is required. Enter and try again.',
        "parameters": {"fieldName": "searchCriteria"},
    }


def test_updated_at_window_filters_and_pages_until_total_count(sandbox: Sandbox) -> None:
    new_order(sandbox, updated_at="2024-10-01 23:59:59")
    inside = [new_order(sandbox, updated_at=f"2024-10-02 10:0{minute}:00")["entity_id"] for minute in range(5)]
    window = (("updated_at", "2024-10-02 00:00:00", "gt"), ("updated_at", "2024-10-03 00:00:00", "lteq"))

    pages = [
        call(sandbox, "GET", "/V1/orders", auth=integration(), params=criteria(*window, page_size=2, page=p)).json()
        for p in (1, 2, 3, 4)
    ]

    assert [page["total_count"] for page in pages] == [5, 5, 5, 5]
    assert [o["entity_id"] for page in pages[:3] for o in page["items"]] == inside
    assert pages[3]["items"] == pages[2]["items"]  # past the end: the last page again, never an empty one
    assert pages[3]["search_criteria"]["current_page"] == 4


def test_filters_in_one_group_are_or_and_groups_are_and(sandbox: Sandbox) -> None:
    first, second = new_order(sandbox), new_order(sandbox, payment_method="cashondelivery")
    prefix = "searchCriteria[filter_groups][0][filters]"
    either = {f"{prefix}[0][field]": "entity_id", f"{prefix}[0][value]": first["entity_id"],
              f"{prefix}[1][field]": "entity_id", f"{prefix}[1][value]": second["entity_id"]}  # fmt: skip
    assert call(sandbox, "GET", "/V1/orders", params=either).json()["total_count"] == 2
    pending = {**either, **criteria(("status", "pending", "eq"), ("status", "x", "neq"))}
    assert [o["entity_id"] for o in call(sandbox, "GET", "/V1/orders", params=pending).json()["items"]] == [
        second["entity_id"]
    ]


def test_ship_creates_a_shipment_with_tracks_and_completes_the_order(sandbox: Sandbox) -> None:
    order = new_order(sandbox, quantity=2)
    body = {
        "notify": True,
        "tracks": [{"track_number": "1490800000009", "title": "Delhivery", "carrier_code": "custom"}],
    }
    shipped = call(sandbox, "POST", f"/V1/order/{order['entity_id']}/ship", json=body)
    assert shipped.status_code == 200
    shipment_id = shipped.json()
    found = call(sandbox, "GET", "/V1/shipments", params=criteria(("order_id", order["entity_id"], "eq"))).json()
    assert [s["entity_id"] for s in found["items"]] == [shipment_id]
    assert found["items"][0]["tracks"][0]["track_number"] == "1490800000009"
    assert found["items"][0]["total_qty"] == 2
    assert call(sandbox, "GET", f"/V1/orders/{order['entity_id']}").json()["state"] == "complete"


def test_shipping_a_fully_shipped_order_again_is_refused(sandbox: Sandbox) -> None:
    order = new_order(sandbox)
    assert call(sandbox, "POST", f"/V1/order/{order['entity_id']}/ship", json={}).status_code == 200
    again = call(sandbox, "POST", f"/V1/order/{order['entity_id']}/ship", json={})
    assert again.status_code == 400
    assert again.json() == {
        "message": "Shipment Document Validation Error(s):\nThe order does not allow a shipment to be created.\n"
        "You can't create a shipment without products."
    }
    assert len(sandbox.control("magento", "/state", method="GET")["shipments"]) == 1


def test_unknown_order_is_not_found(sandbox: Sandbox) -> None:
    response = call(sandbox, "POST", "/V1/order/999999/ship", json={})
    assert response.status_code == 404
    assert response.json()["message"].startswith("The entity that was requested doesn't exist")


def test_source_items_are_saved_all_or_nothing(sandbox: Sandbox) -> None:
    good = {"sku": "ESB-MUG-WHITE", "source_code": "default", "quantity": 4, "status": 1}
    bad = {"sku": "", "source_code": "default", "quantity": 1, "status": 1}
    refused = call(sandbox, "POST", "/V1/inventory/source-items", json={"sourceItems": [good, bad]})
    assert refused.status_code == 400 and refused.json()["message"] == "Validation Failed"
    saved = call(sandbox, "POST", "/V1/inventory/source-items", json={"sourceItems": [good]})
    assert saved.status_code == 200 and saved.json() == []
    rows = call(sandbox, "GET", "/V1/inventory/source-items", params=criteria(("sku", "ESB-MUG-WHITE", "eq")))
    assert rows.json()["items"] == [{**good, "quantity": 4.0}]
