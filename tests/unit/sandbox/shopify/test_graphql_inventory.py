"""Inventory over the Shopify GraphQL sandbox at sync scale: `inventorySetQuantities` (250 input limit, atomic
userErrors), `inventoryItems` (SKU search with OR and quotes, cursor pages, levels) and the bulk control routes."""

from __future__ import annotations

from typing import Any

from tests.unit.sandbox.fixtures import Sandbox
from tests.unit.sandbox.shopify.test_graphql import graphql

LOCATION = 65000000001
LOCATION_GID = f"gid://shopify/Location/{LOCATION}"
SET = """mutation ($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) { inventoryAdjustmentGroup { id } userErrors { code field message } }
}"""
SET_WITH_CHANGES = """mutation ($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) {
    inventoryAdjustmentGroup { changes { name delta quantityAfterChange item { sku } location { id } } }
    userErrors { code field message }
  }
}"""
ITEMS = """query ($first: Int, $after: String, $query: String, $location: ID!) {
  inventoryItems(first: $first, after: $after, query: $query) {
    nodes { id legacyResourceId sku tracked
            inventoryLevel(locationId: $location) { id location { id } quantities(names: ["available", "on_hand"]) {
              name quantity } } }
    edges { cursor node { sku } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""  # costs 2 + first x (item 1 + level 1 + location 1 + 2 quantities) + first x edge node 1: first <= 166
PAGE = """query ($first: Int, $after: String, $query: String) {
  inventoryItems(first: $first, after: $after, query: $query) {
    nodes { id sku } edges { cursor } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""  # costs 2 + first: 252 at most


def seed(sandbox: Sandbox, count: int, **spec: Any) -> dict[str, Any]:
    response = sandbox.http.post(
        f"{sandbox.url}/shopify/_sandbox/inventory_items/bulk",
        json={"count": count, "sku_prefix": "SKU-", "location_ids": [LOCATION], **spec},
        timeout=60,
    )
    assert response.status_code == 201, response.text
    return response.json()


def levels(sandbox: Sandbox, location: int = LOCATION) -> dict[str, int]:
    return sandbox.control("shopify", f"/inventory_levels?location_id={location}", method="GET")


def quantities(ids: list[int], value: int = 7, **extra: Any) -> list[dict[str, Any]]:
    return [
        {"inventoryItemId": f"gid://shopify/InventoryItem/{item}", "locationId": LOCATION_GID, "quantity": value,
         **extra}
        for item in ids
    ]  # fmt: skip


def set_input(entries: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"input": {"name": "available", "reason": "correction", "quantities": entries, **extra}}


def items_page(sandbox: Sandbox, text: str = ITEMS, **variables: Any) -> dict[str, Any]:
    defaults = {"first": 100, "location": LOCATION_GID} if text == ITEMS else {"first": 250}
    body = graphql(sandbox, text, {**defaults, **variables}).json()
    assert "errors" not in body, body
    return body["data"]["inventoryItems"]


def test_bulk_seed_creates_items_with_levels_and_reads_them_back(sandbox: Sandbox) -> None:
    made = seed(sandbox, 100_000, available=3)
    assert made["count"] == 100_000 and len(set(made["inventory_item_ids"])) == 100_000
    assert made["location_ids"] == [LOCATION]
    back = levels(sandbox)
    assert len(back) == 100_000 and set(back.values()) == {3}
    assert back["SKU-1"] == back["SKU-100000"] == 3
    found = items_page(sandbox, query="sku:SKU-99999")["nodes"]
    assert [node["sku"] for node in found] == ["SKU-99999"]
    assert found[0]["legacyResourceId"] == str(made["inventory_item_ids"][99_998])
    assert found[0]["inventoryLevel"]["quantities"] == [{"name": "available", "quantity": 3},
                                                        {"name": "on_hand", "quantity": 3}]  # fmt: skip
    assert found[0]["inventoryLevel"]["location"]["id"] == LOCATION_GID


def test_bulk_seed_validates_its_body(sandbox: Sandbox) -> None:
    url = f"{sandbox.url}/shopify/_sandbox/inventory_items/bulk"
    for body in ({"count": -1}, {"count": "many"}, {"count": 1, "available": "x"}, {"count": 1, "location_ids": 7}):
        assert sandbox.http.post(url, json=body, timeout=10).status_code == 400, body
    padded = seed(sandbox, 2, sku_prefix="P-", start=9, pad=3, location_ids=[70000000001])
    assert padded["location_ids"] == [70000000001]
    assert levels(sandbox, 70000000001) == {"P-009": 0, "P-010": 0}


def test_set_quantities_takes_250_and_refuses_251_with_max_input_size_exceeded(sandbox: Sandbox) -> None:
    ids = seed(sandbox, 251)["inventory_item_ids"]
    refused = graphql(sandbox, SET, set_input(quantities(ids), ignoreCompareQuantity=True))
    body = refused.json()
    assert refused.status_code == 200 and "data" not in body
    error = body["errors"][0]
    assert error["extensions"]["code"] == "MAX_INPUT_SIZE_EXCEEDED"
    assert error["message"] == "The input array size of 251 is greater than the maximum allowed of 250."
    assert error["path"] == ["inventorySetQuantities", "input", "quantities"]
    assert error["locations"][0]["line"] == 2
    assert set(levels(sandbox).values()) == {0}  # nothing applied

    taken = graphql(sandbox, SET, set_input(quantities(ids[:250]), ignoreCompareQuantity=True)).json()
    assert taken["data"]["inventorySetQuantities"]["userErrors"] == []
    assert taken["extensions"]["cost"]["requestedQueryCost"] == taken["extensions"]["cost"]["actualQueryCost"] == 10
    back = levels(sandbox)
    assert sum(1 for value in back.values() if value == 7) == 250 and back["SKU-251"] == 0


def test_set_quantities_is_atomic_and_points_at_each_bad_index(sandbox: Sandbox) -> None:
    ids = seed(sandbox, 4, available=2)["inventory_item_ids"]
    entries = quantities(ids, value=9, compareQuantity=2)
    entries[1]["inventoryItemId"] = "gid://shopify/InventoryItem/1"  # unknown item
    entries[2]["compareQuantity"] = 5  # stale
    entries[3]["locationId"] = "gid://shopify/Location/1"  # unknown location
    errors = graphql(sandbox, SET, set_input(entries)).json()["data"]["inventorySetQuantities"]["userErrors"]
    assert [(e["code"], e["field"]) for e in errors] == [
        ("INVALID_INVENTORY_ITEM", ["input", "quantities", "1"]),
        ("COMPARE_QUANTITY_STALE", ["input", "quantities", "2", "compareQuantity"]),
        ("INVALID_LOCATION", ["input", "quantities", "3"]),
    ]
    assert levels(sandbox) == {"SKU-1": 2, "SKU-2": 2, "SKU-3": 2, "SKU-4": 2}  # index 0 was valid: not applied

    good = [entries[0], quantities([ids[2]], value=4, compareQuantity=2)[0]]
    payload = graphql(sandbox, SET_WITH_CHANGES, set_input(good)).json()["data"]["inventorySetQuantities"]
    assert payload["userErrors"] == []
    assert payload["inventoryAdjustmentGroup"]["changes"] == [
        {"name": "available", "delta": 7, "quantityAfterChange": 9, "item": {"sku": "SKU-1"},
         "location": {"id": LOCATION_GID}},
        {"name": "available", "delta": 2, "quantityAfterChange": 4, "item": {"sku": "SKU-3"},
         "location": {"id": LOCATION_GID}},
    ]  # fmt: skip
    assert levels(sandbox) == {"SKU-1": 9, "SKU-2": 2, "SKU-3": 4, "SKU-4": 2}


def test_sku_search_joins_terms_with_or_and_takes_quoted_values(sandbox: Sandbox) -> None:
    items = [{"sku": "TEE RED M"}, {"sku": "MUG:WHITE"}, {"sku": "CAP-1"}, {"sku": "CAP-1"}, {"sku": "CAP-10"}]
    sandbox.control("shopify", "/inventory_items", {"items": items})

    def skus(query: str) -> list[str]:
        return [node["sku"] for node in items_page(sandbox, query=query)["nodes"]]

    assert skus('sku:"TEE RED M" OR sku:"MUG:WHITE"') == ["TEE RED M", "MUG:WHITE"]  # ascending id
    assert skus("sku:CAP-1") == ["CAP-1", "CAP-1"]  # exact: not CAP-10; duplicate SKUs both come back
    assert skus("sku:CAP-10 OR sku:NOPE OR sku:ESB-MUG-WHITE") == ["ESB-MUG-WHITE", "CAP-10"]
    assert skus('sku:"TEE RED"') == [] and skus("sku:NOPE") == []
    assert skus("sku:CAP-1 sku:CAP-10") == []  # terms without OR must all hold
    assert len(skus("")) == len(skus("sku:CAP-1 OR title:anything")) == 8  # a group without sku matches all
    # demo items have no level anywhere yet
    assert items_page(sandbox, query="sku:ESB-MUG-WHITE")["nodes"][0]["inventoryLevel"] is None


def test_inventory_items_pages_by_cursor(sandbox: Sandbox) -> None:
    made = seed(sandbox, 600)["inventory_item_ids"]
    demo = [44000000001, 44000000002, 44000000003]
    seen: list[str] = []
    after, pages = None, []
    while True:
        page = items_page(sandbox, PAGE, after=after)
        pages.append(page["pageInfo"])
        seen += [node["id"] for node in page["nodes"]]
        assert len(page["nodes"]) == len(page["edges"]) == (250 if len(pages) < 3 else 103)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [f"gid://shopify/InventoryItem/{item}" for item in demo + made]
    assert [p["hasPreviousPage"] for p in pages] == [False, True, True]
    assert pages[-1]["endCursor"] == page["edges"][-1]["cursor"]
    searched = items_page(sandbox, first=1, query="sku:SKU-2 OR sku:SKU-3 OR sku:SKU-4")
    second = items_page(
        sandbox, first=5, after=searched["pageInfo"]["endCursor"], query="sku:SKU-2 OR sku:SKU-3 OR sku:SKU-4"
    )
    assert [n["sku"] for n in searched["nodes"] + second["nodes"]] == ["SKU-2", "SKU-3", "SKU-4"]
    assert searched["pageInfo"]["hasNextPage"] and not second["pageInfo"]["hasNextPage"]


def test_inventory_items_limits_and_cost(sandbox: Sandbox) -> None:
    too_many = graphql(sandbox, PAGE, {"first": 251}).json()
    assert "maximum page size is 250" in too_many["errors"][0]["message"]
    missing = graphql(sandbox, PAGE, {}).json()
    assert "first" in missing["errors"][0]["message"]
    bad_cursor = graphql(sandbox, PAGE, {"first": 1, "after": "nonsense"}).json()
    assert "Invalid cursor" in bad_cursor["errors"][0]["message"]
    seed(sandbox, 3)
    query = """query ($location: ID!) { inventoryItems(first: 10) { nodes { sku
      inventoryLevel(locationId: $location) { quantities(names: ["available"]) { quantity } } } } }"""
    cost = graphql(sandbox, query, {"location": LOCATION_GID}).json()["extensions"]["cost"]
    # 2 + 10 x (item 1 + level 1 + one quantity 1) asked; 3 seeded + 3 demo items without a level came back
    assert cost["requestedQueryCost"] == 32
    assert cost["actualQueryCost"] == 2 + 3 * 3 + 3 * 1
    unknown = graphql(sandbox, query.replace('"available"', '"sellable"'), {"location": LOCATION_GID}).json()
    assert "Invalid quantity names: sellable" in unknown["errors"][0]["message"]
