"""The official `ShopifyAPI` client (PyPI) runs the queries shopify@3.0.0 sends against the GraphQL sandbox.

Its `Session` builds `{protocol}://{shop}.{myshopify_domain}[:port]/admin/api/{version}` and knows versions only up
to 2024-10, and the sandbox serves Shopify under a `/shopify` prefix, so a session cannot name it. `shopify.GraphQL()`
itself only reads `ShopifyResource.get_site()` and `get_headers()`: the test sets those two, the lowest level the
client offers, and everything else (request body, headers, JSON) is the client's own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import shopify

from connectors.spec import load_app_version
from connectors.spec.catalog import BUILTIN_APPS
from tests.unit.sandbox.fixtures import SHOPIFY_TOKEN, Sandbox

SPEC = load_app_version(BUILTIN_APPS / "shopify" / "3.0.0.yaml")


@pytest.fixture
def official(sandbox: Sandbox) -> Iterator[shopify.GraphQL]:
    shopify.ShopifyResource.set_site(f"{sandbox.url}/shopify/admin/api/2025-07")
    shopify.ShopifyResource.set_headers({"X-Shopify-Access-Token": SHOPIFY_TOKEN})
    yield shopify.GraphQL()
    shopify.ShopifyResource.clear_session()


def test_official_client_runs_the_apps_queries_and_mutations(sandbox: Sandbox, official: shopify.GraphQL) -> None:
    order = sandbox.control("shopify", "/orders", {"updated_at": "2025-07-02T10:00:00Z"})["order"]
    polling = SPEC.triggers["orders_updated"].request.graphql
    search = "updated_at:>='2025-07-02T00:00:00Z' AND updated_at:<'2025-07-03T00:00:00Z'"
    orders = json.loads(official.execute(polling.query, {"search": search}))
    assert [node["legacy_id"] for node in orders["data"]["orders"]["nodes"]] == [str(order["id"])]
    assert orders["extensions"]["cost"]["requestedQueryCost"] == 262

    order_gid = f"gid://shopify/Order/{order['id']}"
    find = SPEC.searches["find_fulfillment_orders"].request.graphql
    fo = json.loads(official.execute(find.query, {"id": order_gid}))["data"]["order"]["fulfillmentOrders"]["nodes"][0]
    create = SPEC.actions["create_fulfillment"].request.graphql
    fulfillment = {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo["id"]}], "trackingInfo": {"number": "X1"}}
    created = json.loads(official.execute(create.query, {"fulfillment": fulfillment}))["data"]["fulfillmentCreate"]
    assert created["userErrors"] == [] and created["fulfillment"]["status"] == "SUCCESS"

    event = SPEC.actions["create_fulfillment_event"].request.graphql
    variables = {"event": {"fulfillmentId": created["fulfillment"]["id"], "status": "IN_TRANSIT"}}
    answer = json.loads(official.execute(event.query, variables))["data"]["fulfillmentEventCreate"]
    assert answer["fulfillmentEvent"]["status"] == "IN_TRANSIT"

    inventory = SPEC.actions["set_inventory_level"].request.graphql
    quantities = [{"inventoryItemId": "gid://shopify/InventoryItem/44000000001",
                   "locationId": "gid://shopify/Location/65000000001", "quantity": 9}]  # fmt: skip
    variables = {"input": {"name": "available", "reason": "correction", "ignoreCompareQuantity": True,
                           "quantities": quantities}}  # fmt: skip
    answer = json.loads(official.execute(inventory.query, variables))["data"]["inventorySetQuantities"]
    assert answer["inventoryAdjustmentGroup"]["changes"][0]["quantityAfterChange"] == 9
