"""The Shopify GraphQL Admin API sandbox: auth, errors in a 200, Relay cursors, calculated query cost, THROTTLED."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from connectors.sandbox import SandboxServer
from tests.unit.sandbox.fixtures import SHOPIFY_TOKEN, Sandbox, fast_config

ORDERS = """query ($search: String, $after: String) {
  orders(first: 2, after: $after, query: $search) {
    nodes { id name updatedAt lineItems(first: 5) { nodes { sku } } }
    pageInfo { hasNextPage endCursor }
  }
}"""


def graphql(sandbox: Sandbox, query: str, variables: dict[str, Any] | None = None, token: str | None = SHOPIFY_TOKEN):
    url = f"{sandbox.url}/shopify/admin/api/2025-07/graphql.json"
    headers = {"X-Shopify-Access-Token": token} if token else {}
    return sandbox.http.post(url, json={"query": query, "variables": variables}, headers=headers, timeout=10)


def test_refuses_a_missing_or_wrong_access_token_with_401(sandbox: Sandbox) -> None:
    assert graphql(sandbox, "{ shop { name } }", token=None).status_code == 401
    assert graphql(sandbox, "{ shop { name } }", token="shpat_wrong").status_code == 401


def test_reports_syntax_and_validation_errors_in_a_200(sandbox: Sandbox) -> None:
    broken = graphql(sandbox, "{ shop { name }")
    unknown = graphql(sandbox, "{ shop { nosuchfield } }")
    assert broken.status_code == unknown.status_code == 200
    assert broken.json()["errors"] and "nosuchfield" in unknown.json()["errors"][0]["message"]


def test_pages_orders_by_relay_cursor_within_an_updated_at_search(sandbox: Sandbox) -> None:
    made = [
        sandbox.control("shopify", "/orders", {"updated_at": f"2025-07-02T1{hour}:00:00Z"})["order"]
        for hour in range(5)
    ]
    sandbox.control("shopify", "/orders", {"updated_at": "2025-07-05T10:00:00Z"})  # outside the window
    search = "updated_at:>='2025-07-02T00:00:00Z' AND updated_at:<'2025-07-03T00:00:00Z'"
    seen, after, pages = [], None, 0
    while True:
        body = graphql(sandbox, ORDERS, {"search": search, "after": after}).json()
        connection = body["data"]["orders"]
        seen += [node["id"] for node in connection["nodes"]]
        pages += 1
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert pages == 3
    assert seen == [f"gid://shopify/Order/{order['id']}" for order in made]


def test_computes_requested_and_actual_cost_and_refunds_the_difference(sandbox: Sandbox) -> None:
    sandbox.control("shopify", "/orders", {})
    cost = graphql(sandbox, ORDERS).json()["extensions"]["cost"]
    # orders(first: 2): 2 + 2 x (order 1 + lineItems(first: 5): 2 + 5 x 1) = 18; one order with one line came back
    assert cost["requestedQueryCost"] == 18
    assert cost["actualQueryCost"] == 2 + 1 * (1 + 2 + 1)
    assert cost["throttleStatus"]["maximumAvailable"] == 1000.0
    assert cost["throttleStatus"]["restoreRate"] == 50.0
    assert 1000 - 6 <= cost["throttleStatus"]["currentlyAvailable"] <= 1000  # 18 taken, 12 refunded


def test_a_mutation_costs_ten(sandbox: Sandbox) -> None:
    mutation = """mutation ($input: InventorySetQuantitiesInput!) {
      inventorySetQuantities(input: $input) { userErrors { code message } } }"""
    quantities = [{"inventoryItemId": "gid://shopify/InventoryItem/44000000001",
                   "locationId": "gid://shopify/Location/65000000001", "quantity": 3}]  # fmt: skip
    variables = {"input": {"name": "available", "reason": "correction", "quantities": quantities}}
    body = graphql(sandbox, mutation, variables).json()
    assert body["extensions"]["cost"]["requestedQueryCost"] == 10
    assert body["data"]["inventorySetQuantities"]["userErrors"][0]["code"] == "COMPARE_QUANTITY_REQUIRED"
    variables["input"]["ignoreCompareQuantity"] = True
    assert graphql(sandbox, mutation, variables).json()["data"]["inventorySetQuantities"]["userErrors"] == []
    assert sandbox.state.shopify.inventory_levels[(44000000001, 65000000001)]["available"] == 3


def test_refuses_a_query_above_the_single_query_maximum(sandbox: Sandbox) -> None:
    query = "{ orders(first: 250) { nodes { lineItems(first: 250) { nodes { sku } } } } }"
    error = graphql(sandbox, query).json()["errors"][0]
    assert error["extensions"]["code"] == "MAX_COST_EXCEEDED"


@pytest.fixture(scope="module")
def _small_bucket_server() -> Iterator[SandboxServer]:
    config = fast_config(shopify={"graphql_bucket_size": 20, "graphql_restore_rate": 1e-9})
    with SandboxServer(config) as server:
        yield server


def test_throttles_a_query_the_bucket_cannot_pay_for(_small_bucket_server: SandboxServer) -> None:
    _small_bucket_server.state.reset()
    sandbox = Sandbox(_small_bucket_server)
    answers = [graphql(sandbox, ORDERS).json() for _ in range(3)]  # 18 requested, 2 used: 20 -> 18 -> 16 < 18
    assert "errors" not in answers[0] and "errors" not in answers[1]
    throttled = answers[2]
    assert throttled["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert throttled["extensions"]["cost"]["actualQueryCost"] is None
    assert throttled["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] < 18
    assert sandbox.rate_limited("shopify")[0] == 1
