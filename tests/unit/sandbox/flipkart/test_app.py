"""The flipkart@1.0.0 definition, through our runtime, against the sandbox: the GET token call with Basic, renewal
on an expired token, the polling trigger across `nextPageUrl` pages, the search and every action."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from connectors.runtime.errors import AuthExpiredError
from connectors.runtime.polling import poll
from connectors.sandbox import SandboxServer
from tests.unit.sandbox.fixtures import Sandbox, fast_config
from tests.unit.sandbox.flipkart.api import LOCATION, flipkart, new_shipment
from tests.unit.sandbox.test_apps_against_sandbox import run_action

START, END = dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC), dt.datetime(2026, 11, 20, 11, tzinfo=dt.UTC)


def at(minute: int) -> str:
    return (START + dt.timedelta(minutes=minute)).isoformat()


def test_polling_follows_next_page_urls_under_the_base_url(sandbox: Sandbox) -> None:
    inside = [new_shipment(sandbox, updated_at=at(m))["shipmentId"] for m in range(0, 50, 2)]  # 25: two pages
    new_shipment(sandbox, updated_at=at(90))  # after the window
    new_shipment(sandbox, updated_at=at(10), location_id="OTHER-LOC")
    packed = new_shipment(sandbox, updated_at=at(5))
    sandbox.control("flipkart", f"/shipments/{packed['shipmentId']}/status", {"status": "PACKED"})

    polled = list(poll(flipkart(sandbox), "shipments_approved", START, END))

    assert [s["shipmentId"] for s in polled] == inside
    assert sandbox.control("flipkart", "/state", method="GET")["token_calls"] == 1


def test_an_expired_token_is_renewed_once(sandbox: Sandbox) -> None:
    client, shipment = flipkart(sandbox, connection="flipkart-expiry"), new_shipment(sandbox)
    assert run_action(client, "find_shipment", {"shipment_id": shipment["shipmentId"]}).status_code == 200
    sandbox.control("flipkart", "/expire_tokens")
    found = run_action(client, "find_shipment", {"shipment_id": shipment["shipmentId"]})
    assert found.json()["shipments"][0]["deliveryAddress"]["city"] == "Bengaluru"
    assert sandbox.control("flipkart", "/state", method="GET")["token_calls"] == 2


def test_a_wrong_app_secret_asks_for_reconnect(sandbox: Sandbox) -> None:
    with pytest.raises(AuthExpiredError, match="Bad credentials"):
        run_action(
            flipkart(sandbox, secret="wrong", connection="flipkart-wrong"), "find_shipment", {"shipment_id": "x"}
        )


def test_pack_then_mark_ready_to_dispatch_then_update_inventory(sandbox: Sandbox) -> None:
    client, shipment = flipkart(sandbox), new_shipment(sandbox)
    sid, order_id = shipment["shipmentId"], shipment["orderItems"][0]["orderId"]
    inputs = {"shipment_id": sid, "order_id": order_id, "invoice_number": "INV-9", "invoice_date": "2026-11-20"}
    assert run_action(client, "pack_shipment", inputs).json()["shipments"][0]["status"] == "SUCCESS"
    rtd = run_action(client, "mark_ready_to_dispatch", {"shipment_id": sid}).json()["shipments"][0]
    assert rtd["status"] == "SUCCESS"
    stock = run_action(client, "update_inventory", {"sku": "ESB-MUG-WHITE", "product_id": "MUGFX9WHT", "inventory": 4})
    assert stock.json() == {"ESB-MUG-WHITE": {"status": "SUCCESS", "errors": [], "attribute_errors": []}}
    state = sandbox.control("flipkart", "/state", method="GET")
    record = next(r for r in state["shipments"] if r["shipment"]["shipmentId"] == sid)
    assert record["shipment"]["orderItems"][0]["status"] == "READY_TO_DISPATCH"
    assert record["invoices"] == [{"orderId": order_id, "invoiceNumber": "INV-9", "invoiceDate": "2026-11-20"}]
    mug = next(row for row in state["listings"] if row["sku"] == "ESB-MUG-WHITE")
    assert mug["locations"] == [{"id": LOCATION, "status": "ENABLED", "inventory": 4}]


@pytest.fixture(scope="module")
def slow() -> Iterator[Sandbox]:
    """A sandbox allowing one Seller API call at a time, refilled at 2 per second."""
    with SandboxServer(fast_config(flipkart={"api_requests_per_second": 2.0, "api_burst": 1})) as server:
        yield Sandbox(server)


def test_429s_are_waited_out_as_retry_after_says(slow: Sandbox) -> None:
    client, shipment = flipkart(slow, connection="flipkart-slow"), new_shipment(slow)
    for _ in range(3):
        assert run_action(client, "find_shipment", {"shipment_id": shipment["shipmentId"]}).status_code == 200
    assert slow.rate_limited("flipkart")[0] >= 1
