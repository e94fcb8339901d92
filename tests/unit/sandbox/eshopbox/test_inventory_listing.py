"""Eshopbox stock at sync scale: `POST /eshopbox/_sandbox/inventory/bulk` and `GET platform/api/v2/productListing`
paged through 100,000 rows, complete and in (updatedAt, sku, warehouseId) order, the window kept as stock changes."""

from __future__ import annotations

from typing import Any

from tests.unit.sandbox.eshopbox.api import Eshopbox

LISTING = "/api/v2/productListing"


def bulk(esb: Eshopbox, **spec: Any) -> dict[str, Any]:
    response = esb.http.post(f"{esb.sandbox.url}/eshopbox/_sandbox/inventory/bulk", json=spec, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def listing(esb: Eshopbox, **params: Any) -> dict[str, Any]:
    response = esb.platform("GET", LISTING, params=params, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def every_row(esb: Eshopbox, **window: Any) -> list[dict[str, Any]]:
    first = listing(esb, perPage=100, **window)
    rows = list(first["items"])
    for page in range(2, first["totalPages"] + 1):
        answer = listing(esb, perPage=100, page=page, **window)
        assert (answer["total"], answer["totalPages"]) == (first["total"], first["totalPages"])
        rows += answer["items"]
    assert len(rows) == first["total"]
    return rows


def test_pages_through_100000_rows_complete_and_in_order(esb: Eshopbox) -> None:
    made = bulk(esb, count=100_000, sku_prefix="SKU-", warehouse_id="GGN", sellable="random", seed=7,
                updated_at="2025-01-01T00:00:00Z")  # fmt: skip
    assert made["count"] == 100_000 and made["updatedAt"] == "2025-01-01T00:00:00.000Z"
    assert len(set(made["sellable"].values())) > 50  # random, 0..100
    esb.sandbox.control("eshopbox", "/inventory", {"sku": "LATE", "sellable": 1, "updatedAt": "2025-01-02T00:00:00Z"})
    esb.sandbox.control("eshopbox", "/inventory", {"sku": "EARLY", "sellable": 2, "updatedAt": "2024-12-31T00:00:00Z"})

    rows = every_row(esb, updatedAfter="2025-01-01T00:00:00Z", updatedBefore="2025-01-02T00:00:00Z")
    assert len(rows) == 100_000
    assert [row["sku"] for row in rows] == sorted(made["sellable"])  # same updatedAt: by sku
    assert {row["sku"]: row["sellable"] for row in rows} == made["sellable"]
    assert {row["warehouseId"] for row in rows} == {"GGN"}
    assert all(row["esin"].startswith("ESN") for row in rows[:100])

    everything = listing(esb, perPage=100)
    assert (everything["total"], everything["totalPages"]) == (100_002, 1001)
    assert everything["items"][0]["sku"] == "EARLY"
    assert listing(esb, perPage=100, page=1001)["items"][-1]["sku"] == "LATE"
    assert listing(esb, perPage=100, page=1002)["items"] == []


def test_a_stock_change_moves_the_row_to_its_new_place(esb: Eshopbox) -> None:
    bulk(esb, count=50, sku_prefix="A-", pad=2, sellable=5, updated_at="2025-03-01T10:00:00Z")
    bulk(esb, count=50, sku_prefix="A-", pad=2, warehouse_id="BLR", sellable=6, updated_at="2025-03-01T09:00:00Z")
    esb.sandbox.control("eshopbox", "/inventory", {"sku": "A-07", "warehouseId": "GGN", "sellable": 0,
                                                   "updatedAt": "2025-03-01T11:00:00Z"})  # fmt: skip
    esb.sandbox.control("eshopbox", "/inventory", {"items": [
        {"sku": "A-01", "warehouseId": "BLR", "sellable": 1, "updatedAt": "2025-03-01T10:00:00Z"},
    ]})  # fmt: skip
    rows = every_row(esb)
    keys = [(row["updatedAt"], row["sku"], row["warehouseId"]) for row in rows]
    assert keys == sorted(keys) and len(keys) == 100
    assert rows[-1] == {"sku": "A-07", "esin": rows[-1]["esin"], "warehouseId": "GGN", "sellable": 0,
                        "updatedAt": "2025-03-01T11:00:00.000Z"}  # fmt: skip
    assert [r["warehouseId"] for r in rows if r["sku"] == "A-01"] == ["BLR", "GGN"]  # 10:00, then by warehouse
    window = listing(esb, updatedAfter="2025-03-01T10:00:00Z", updatedBefore="2025-03-01T11:00:00Z", perPage=100)
    assert window["total"] == 50 and {r["updatedAt"] for r in window["items"]} == {"2025-03-01T10:00:00.000Z"}


def test_bulk_and_listing_validate_their_input(esb: Eshopbox) -> None:
    url = f"{esb.sandbox.url}/eshopbox/_sandbox/inventory/bulk"
    for body in ({"count": -1}, {"count": 2, "sellable": "lots"}, {"count": 2, "updated_at": "later"}, {}):
        assert esb.http.post(url, json=body, timeout=10).status_code == 400, body
    fixed = bulk(esb, count=3, sku_prefix="X", start=8, sellable=4)
    assert fixed["sellable"] == {"X8": 4, "X9": 4, "X10": 4} and fixed["warehouseId"] == "GGN"
    assert esb.platform("GET", LISTING, params={"perPage": 101}).status_code == 400
    assert esb.platform("GET", LISTING, params={"page": 0}).status_code == 400
    assert listing(esb, updatedBefore="2000-01-01T00:00:00Z") == {
        "items": [], "page": 1, "perPage": 50, "total": 0, "totalPages": 0,
    }  # fmt: skip
