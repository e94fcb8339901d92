"""shopify@3.0.0 (GraphQL Admin API) through the platform's runtime against the sandbox: each trigger, search and
action, Relay cursors, errors in a 200, cost-based waiting and THROTTLED retried."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import requests

from connectors.runtime.errors import PermanentError
from connectors.runtime.http.client import AppClient, ConnectionValues
from connectors.runtime.http.rate_limit import CostBucket
from connectors.runtime.polling import poll
from connectors.runtime.steps import run_action, run_search
from connectors.sandbox import SandboxServer
from connectors.spec import load_app_version
from connectors.spec.catalog import BUILTIN_APPS
from tests.unit.sandbox.fixtures import SHOPIFY_SECRET, SHOPIFY_TOKEN, Sandbox, fast_config

SPEC = load_app_version(BUILTIN_APPS / "shopify" / "3.0.0.yaml")
ITEM, LOCATION = 44_000_000_002, 65_000_000_001


def client_for(sandbox: Sandbox, token: str = SHOPIFY_TOKEN, connection: str = "graphql") -> AppClient:
    session = requests.Session()
    session.trust_env = False
    values = ConnectionValues(
        f"{connection}-{id(sandbox)}", {"access_token": token, "webhook_secret": SHOPIFY_SECRET}, {"shop": "demo"}
    )
    client = AppClient(SPEC, values, environment={"ADMIN_BASE_URL": f"{sandbox.url}/shopify"}, session=session)
    client.cost_bucket = CostBucket()  # each test starts with what the sandbox reports, not an earlier test's state
    return client


def test_polls_orders_updated_in_the_window_across_relay_pages(sandbox: Sandbox) -> None:
    made = [sandbox.control("shopify", "/orders", {"updated_at": f"2025-07-02T{h:02d}:00:00Z"})["order"]
            for h in range(10, 22)]  # fmt: skip
    sandbox.control("shopify", "/orders", {"updated_at": "2025-07-04T10:00:00Z"})
    start, end = dt.datetime(2025, 7, 2, tzinfo=dt.UTC), dt.datetime(2025, 7, 3, tzinfo=dt.UTC)
    polled = list(poll(client_for(sandbox), "orders_updated", start, end))
    assert [record["legacy_id"] for record in polled] == [str(order["id"]) for order in made]  # 12: two pages
    assert polled[0]["id"] == f"gid://shopify/Order/{made[0]['id']}"
    assert polled[0]["line_items"]["nodes"][0]["sku"] == made[0]["line_items"][0]["sku"]
    assert polled[0]["updated_at"] == "2025-07-02T10:00:00Z"


def test_fulfils_an_order_then_adds_a_delivered_event(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    order = sandbox.control("shopify", "/orders", {})["order"]
    found = run_search(client, "find_fulfillment_orders", {"order_id": order["id"]})
    assert found.outcome == "found" and found.result["status"] == "OPEN"
    inputs = {"order_id": order["id"], "fulfillment_order_id": found.result["id"], "tracking_number": "AWB123",
              "tracking_company": "Delhivery"}  # fmt: skip
    created = run_action(client, "create_fulfillment", inputs)
    assert created.outcome == "succeeded" and created.result["id"].startswith("gid://shopify/Fulfillment/")
    assert sandbox.state.shopify.orders[order["id"]]["fulfillments"][0]["tracking_number"] == "AWB123"
    again = run_action(client, "create_fulfillment", inputs)  # search first: no second fulfillment
    assert again.outcome == "found" and again.result["id"] == created.result["id"]

    fulfillment = run_search(client, "find_fulfillments", {"order_id": order["id"]})
    event = run_action(client, "create_fulfillment_event", {"order_id": order["id"],
                       "fulfillment_id": fulfillment.result["legacy_id"], "status": "delivered"})  # fmt: skip
    assert event.result["status"] == "DELIVERED"
    assert sandbox.state.shopify.fulfillments[int(fulfillment.result["legacy_id"])]["shipment_status"] == "delivered"


def test_sets_available_inventory_and_repeats_safely(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    for _ in range(2):
        result = run_action(client, "set_inventory_level",
                            {"inventory_item_id": ITEM, "location_id": LOCATION, "quantity": 7})  # fmt: skip
        assert result.result["changes"][0]["quantityAfterChange"] == 7
    assert sandbox.state.shopify.inventory_levels[(ITEM, LOCATION)]["available"] == 7
    request = client.spec.actions["set_inventory_level"].request
    assert request.safe_to_repeat and not client.spec.actions["create_fulfillment"].request.safe_to_repeat
    assert client.spec.searches["find_fulfillments"].request.safe_to_repeat  # a query may be sent again


def test_user_errors_in_a_200_are_permanent_errors(sandbox: Sandbox) -> None:
    with pytest.raises(PermanentError, match="inventorySetQuantities refused: .*INVALID_INVENTORY_ITEM"):
        run_action(client_for(sandbox), "set_inventory_level",
                   {"inventory_item_id": 1, "location_id": LOCATION, "quantity": 1})  # fmt: skip


def test_an_unknown_order_is_not_found(sandbox: Sandbox) -> None:
    assert run_search(client_for(sandbox), "find_fulfillments", {"order_id": 12345}).outcome == "not_found"


def test_a_wrong_token_is_refused_as_needing_reconnection(sandbox: Sandbox) -> None:
    from connectors.runtime.errors import AuthExpiredError

    with pytest.raises(AuthExpiredError):
        run_search(client_for(sandbox, token="shpat_wrong"), "find_fulfillments", {"order_id": 1})


@pytest.fixture(scope="module")
def _slow_bucket_server() -> Iterator[SandboxServer]:
    with SandboxServer(fast_config(shopify={"graphql_bucket_size": 300, "graphql_restore_rate": 200})) as server:
        yield server


def test_waits_for_the_cost_it_learned_and_retries_throttled(_slow_bucket_server: SandboxServer) -> None:
    _slow_bucket_server.state.reset()
    sandbox = Sandbox(_slow_bucket_server)
    client = client_for(sandbox, connection="slow")
    waits: list[float] = []
    client._sleep = waits.append  # retries: record the wait THROTTLED implied, do not sleep
    start, end = dt.datetime(2025, 7, 2, tzinfo=dt.UTC), dt.datetime(2025, 7, 3, tzinfo=dt.UTC)
    assert list(poll(client, "orders_updated", start, end)) == []  # requested 262 of 300, used 2
    status = client.cost_bucket.available
    assert status is not None and status <= 300
    with _slow_bucket_server.state.lock:  # another app drains the shop's bucket
        bucket = _slow_bucket_server.state.shopify.throttle.limits[("graphql", "demo.myshopify.com")]
        bucket.level = 0.0
    client.cost_bucket.observe(300, 300, 200)  # ... which this client cannot know: it believes the bucket is full
    assert list(poll(client, "orders_updated", start, end)) == []
    assert len(waits) == 1 and 1.0 <= waits[0] <= 1.4  # THROTTLED: (262 - ~0) / 200 points per second
    assert sandbox.rate_limited("shopify")[0] == 1
