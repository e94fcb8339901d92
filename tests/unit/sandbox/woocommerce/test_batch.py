"""The WooCommerce sandbox's batch contract over real HTTP: `POST /products/batch` (create, update, delete; at
most 100 objects; per-object errors in the order sent, not atomic), products found by a list of SKUs, and the
control route seeding many products at once."""

from __future__ import annotations

from typing import Any

from tests.unit.sandbox.fixtures import Sandbox
from tests.unit.sandbox.woocommerce.api import wc

UNKNOWN = 999_999


def seed(sandbox: Sandbox, count: int, **spec: Any) -> list[int]:
    body = {"count": count, "sku_prefix": "SKU-", "start": 0, "pad": 5, **spec}
    return sandbox.control("woocommerce", "/products/bulk", body)["product_ids"]


def stock(sandbox: Sandbox, prefix: str = "SKU-") -> dict[str, Any]:
    return sandbox.control("woocommerce", f"/stock?sku_prefix={prefix}", method="GET")


def test_batch_update_answers_each_item_in_order_and_an_unknown_id_fails_alone(sandbox: Sandbox) -> None:
    ids = seed(sandbox, 3, stock_quantity=5)
    update = [
        {"id": ids[0], "manage_stock": True, "stock_quantity": 7},
        {"id": UNKNOWN, "manage_stock": True, "stock_quantity": 1},
        {"id": ids[2], "manage_stock": True, "stock_quantity": 0},
    ]
    response = wc(sandbox, "POST", "/products/batch", json={"update": update})

    assert response.status_code == 200, response.text
    answer = response.json()
    assert list(answer) == ["update"]
    first, missing, last = answer["update"]
    assert (first["id"], first["stock_quantity"], first["stock_status"]) == (ids[0], 7, "instock")
    assert missing == {
        "id": UNKNOWN,
        "error": {"code": "woocommerce_rest_product_invalid_id", "message": "Invalid ID.", "data": {"status": 400}},
    }
    assert (last["id"], last["stock_quantity"], last["stock_status"]) == (ids[2], 0, "outofstock")
    assert stock(sandbox) == {"SKU-00000": 7, "SKU-00001": 5, "SKU-00002": 0}


def test_a_bad_quantity_fails_its_item_only(sandbox: Sandbox) -> None:
    ids = seed(sandbox, 2, stock_quantity=5)
    update = [{"id": ids[0], "stock_quantity": "many"}, {"id": ids[1], "stock_quantity": 2}]
    answer = wc(sandbox, "POST", "/products/batch", json={"update": update}).json()["update"]
    assert answer[0]["id"] == ids[0] and answer[0]["error"]["code"] == "rest_invalid_param"
    assert answer[1]["stock_quantity"] == 2
    assert stock(sandbox) == {"SKU-00000": 5, "SKU-00001": 2}


def test_more_than_100_objects_in_all_are_refused_and_nothing_is_applied(sandbox: Sandbox) -> None:
    ids = seed(sandbox, 101, stock_quantity=5)
    body = {"update": [{"id": i, "stock_quantity": 1} for i in ids[:60]], "delete": ids[60:]}
    response = wc(sandbox, "POST", "/products/batch", json=body)

    assert response.status_code == 413
    assert response.json() == {
        "code": "woocommerce_rest_request_entity_too_large",
        "message": "Unable to accept more than 100 items for this request.",
        "data": {"status": 413},
    }
    assert set(stock(sandbox).values()) == {5} and len(stock(sandbox)) == 101
    hundred = {"update": [{"id": i, "stock_quantity": 1} for i in ids[:100]]}
    exactly = wc(sandbox, "POST", "/products/batch", json=hundred)
    assert exactly.status_code == 200 and len(exactly.json()["update"]) == 100


def test_batch_creates_and_deletes_with_their_own_errors(sandbox: Sandbox) -> None:
    (kept,) = seed(sandbox, 1)
    body = {
        "create": [{"name": "Blue mug", "sku": "MUG-BLUE", "manage_stock": True, "stock_quantity": 4},
                   {"name": "Copy", "sku": "SKU-00000"}],
        "delete": [kept, UNKNOWN],
    }  # fmt: skip
    answer = wc(sandbox, "POST", "/products/batch", json=body).json()

    created, duplicate = answer["create"]
    assert created["sku"] == "MUG-BLUE" and created["stock_quantity"] == 4 and created["id"] > 0
    assert duplicate["id"] == 0 and duplicate["error"]["code"] == "product_invalid_sku"
    deleted, unknown = answer["delete"]
    assert deleted["id"] == kept
    assert unknown == {
        "id": UNKNOWN,
        "error": {"code": "woocommerce_rest_product_invalid_id", "message": "Invalid ID.", "data": {"status": 404}},
    }
    assert stock(sandbox, "") == {"ESB-MUG-WHITE": 10, "ESB-TEE": 10, "ESB-TEE-RED-M": 10, "MUG-BLUE": 4}


def test_batch_needs_credentials_and_a_json_object(sandbox: Sandbox) -> None:
    refused = wc(sandbox, "POST", "/products/batch", auth=None, json={"update": []})
    assert refused.status_code == 401 and refused.json()["code"] == "woocommerce_rest_cannot_create"
    bad = wc(sandbox, "POST", "/products/batch", json={"update": {"id": 11}})
    assert bad.status_code == 400 and bad.json()["code"] == "rest_invalid_param"


def test_products_are_found_by_a_comma_separated_list_of_skus_variations_too(sandbox: Sandbox) -> None:
    ids = seed(sandbox, 150)
    skus = [f"SKU-{n:05d}" for n in range(100)]
    response = wc(sandbox, "GET", "/products", params={"sku": ",".join(skus), "per_page": 100})

    assert response.status_code == 200, response.text
    assert response.headers["X-WP-Total"] == "100" and response.headers["X-WP-TotalPages"] == "1"
    assert {p["sku"]: p["id"] for p in response.json()} == dict(zip(skus, ids, strict=False))
    found = wc(sandbox, "GET", "/products", params={"sku": "ESB-TEE-RED-M,ESB-MUG-WHITE,NO-SUCH-SKU"}).json()
    assert sorted((p["id"], p["type"]) for p in found) == [(11, "simple"), (13, "variation")]
    too_many = wc(sandbox, "GET", "/products", params={"sku": "SKU-00000", "per_page": 101})
    assert too_many.status_code == 400 and too_many.json()["code"] == "rest_invalid_param"


def test_control_seeds_products_in_sku_order_and_refuses_existing_skus(sandbox: Sandbox) -> None:
    ids = seed(sandbox, 1000, stock_quantity=3)
    assert len(ids) == 1000 and ids == sorted(ids)
    assert stock(sandbox)["SKU-00999"] == 3
    again = sandbox.http.post(f"{sandbox.url}/woocommerce/_sandbox/products/bulk", json={"count": 1, "pad": 5,
                              "start": 0, "sku_prefix": "SKU-"}, timeout=10)  # fmt: skip
    assert again.status_code == 400 and "already exist" in again.json()["message"]
