"""The amazon_sp_api@1.0.0 definition, through our runtime, against the sandbox: the LWA refresh_token grant and
the `x-amz-access-token` header, renewal when SP-API answers 403 for an expired token, the polling trigger across
NextToken pages, the search and every action, and 429 `QuotaExceeded` retried."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from connectors.runtime.errors import AuthExpiredError
from connectors.runtime.polling import poll
from connectors.sandbox import SandboxServer
from tests.unit.sandbox.amazon.api import SPEC, amazon, new_order
from tests.unit.sandbox.fixtures import Sandbox, fast_config
from tests.unit.sandbox.test_apps_against_sandbox import run_action

START, END = dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC), dt.datetime(2026, 11, 20, 11, tzinfo=dt.UTC)


def at(minute: int) -> str:
    return (START + dt.timedelta(minutes=minute)).isoformat()


def test_polling_follows_next_tokens_repeating_the_marketplace(sandbox: Sandbox) -> None:
    inside = [new_order(sandbox, updated_at=at(m % 60))["AmazonOrderId"] for m in range(0, 250, 2)]  # 125: 2 pages
    new_order(sandbox, updated_at=at(90))  # after the window
    new_order(sandbox, updated_at=at(10), fulfillment_channel="AFN")  # Amazon ships it

    polled = list(poll(amazon(sandbox), "orders_updated", START, END))

    assert sorted(o["AmazonOrderId"] for o in polled) == sorted(inside)
    state = sandbox.control("amazon", "/state", method="GET")
    assert state["token_calls"] == 1 and state["rate_limited"] == 0


def test_an_access_token_amazon_calls_expired_is_renewed_once(sandbox: Sandbox) -> None:
    client, order = amazon(sandbox, connection="amazon-expiry"), new_order(sandbox)
    assert run_action(client, "find_order_items", {"order_id": order["AmazonOrderId"]}).status_code == 200
    sandbox.control("amazon", "/expire_tokens")
    found = run_action(client, "find_order_items", {"order_id": order["AmazonOrderId"]})
    assert found.json()["payload"]["OrderItems"][0]["SellerSKU"] == "ESB-TEE-RED-M"
    assert sandbox.control("amazon", "/state", method="GET")["token_calls"] == 2


def test_a_wrong_client_secret_asks_for_reconnect(sandbox: Sandbox) -> None:
    with pytest.raises(AuthExpiredError, match="Client authentication failed"):
        run_action(amazon(sandbox, secret="wrong", connection="amazon-wrong"), "find_order_items", {"order_id": "x"})


def test_confirm_shipment_then_set_listing_quantity(sandbox: Sandbox) -> None:
    client, order = amazon(sandbox), new_order(sandbox, quantity=2)
    order_id = order["AmazonOrderId"]
    item = run_action(client, "find_order_items", {"order_id": order_id}).json()["payload"]["OrderItems"][0]
    inputs = {"order_id": order_id, "package_reference_id": "PKG-1", "carrier_code": "Delhivery",
              "tracking_number": "AWB123", "ship_date": "2026-11-20T10:00:00Z",
              "order_items": [{"orderItemId": item["OrderItemId"], "quantity": 2}]}  # fmt: skip
    assert run_action(client, "confirm_shipment", inputs).status_code == 204
    stock = run_action(client, "set_listing_quantity", {"sku": "ESB-MUG-WHITE", "quantity": 4})
    assert stock.json()["status"] == "ACCEPTED"
    state = sandbox.control("amazon", "/state", method="GET")
    assert next(o for o in state["orders"] if o["AmazonOrderId"] == order_id)["OrderStatus"] == "Shipped"
    package = state["confirmations"][order_id][0]
    assert (package["carrierCode"], package["trackingNumber"], package["carrierName"]) == ("Delhivery", "AWB123", None)
    assert next(row for row in state["listings"] if row["sku"] == "ESB-MUG-WHITE")["quantity"] == 4


@pytest.fixture(scope="module")
def slow() -> Iterator[Sandbox]:
    """getOrderItems allowing one call at a time, refilled at 4 per second."""
    with SandboxServer(fast_config(amazon={"get_order_rate": 4.0, "get_order_burst": 1})) as server:
        yield Sandbox(server)


def test_429_quota_exceeded_is_retried(slow: Sandbox) -> None:
    slow.state.reset()
    fast_retries = SPEC.model_copy(update={"retry": SPEC.retry.model_copy(update={"initial_backoff": 0.3})})
    client, order = amazon(slow, connection="amazon-slow", spec=fast_retries), new_order(slow)
    for _ in range(3):
        assert run_action(client, "find_order_items", {"order_id": order["AmazonOrderId"]}).status_code == 200
    assert slow.rate_limited("amazon")[0] >= 1
