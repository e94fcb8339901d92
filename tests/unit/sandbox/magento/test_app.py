"""The magento@1.0.0 (admin token) and magento@1.1.0 (integration, OAuth 1.0a) definitions, through our runtime,
against the sandbox: auth and its renewal, the polling window across pages, each search and action."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import requests

from connectors.runtime.errors import AuthExpiredError
from connectors.runtime.http.client import AppClient, ConnectionValues
from connectors.runtime.polling import poll
from connectors.runtime.steps import run_action, run_search
from connectors.spec import load_app_version
from connectors.spec.catalog import BUILTIN_APPS
from tests.unit.sandbox.fixtures import Sandbox
from tests.unit.sandbox.magento.api import DEMO, new_order, store_url

ADMIN = {"username": DEMO.admin_username, "password": DEMO.admin_password}
INTEGRATION = {
    "consumer_key": DEMO.consumer_key,
    "consumer_secret": DEMO.consumer_secret,
    "access_token": DEMO.access_token,
    "access_token_secret": DEMO.access_token_secret,
}
VERSIONS = {"1.0.0": ADMIN, "1.1.0": INTEGRATION}


def magento(sandbox: Sandbox, version: str = "1.0.0", definition: Path | None = None, **credentials: str) -> AppClient:
    session = requests.Session()
    session.trust_env = False
    spec = load_app_version(definition or BUILTIN_APPS / "magento" / f"{version}.yaml")
    connection = ConnectionValues(
        f"sandbox-magento-{version}",
        credentials={**VERSIONS[version], **credentials},
        properties={"store_url": store_url(sandbox), "store_code": "default"},
    )
    return AppClient(spec, connection, session=session)


def token_requests(sandbox: Sandbox) -> int:
    return sandbox.control("magento", "/state", method="GET")["token_requests"]


@pytest.mark.parametrize("version", ["1.0.0", "1.1.0"])
def test_polling_reads_every_page_of_the_window_and_stops_on_total_count(
    sandbox: Sandbox, tmp_path: Path, version: str
) -> None:
    new_order(sandbox, updated_at="2024-10-01 23:00:00")
    inside = [new_order(sandbox, updated_at=f"2024-10-02 10:0{minute}:00")["entity_id"] for minute in range(4)]
    definition = (BUILTIN_APPS / "magento" / f"{version}.yaml").read_text().replace("size: 50", "size: 2")
    (tmp_path / "magento").mkdir()
    (tmp_path / "magento" / f"{version}.yaml").write_text(definition)  # 2 full pages: only total_count ends it
    client = magento(sandbox, version, tmp_path / "magento" / f"{version}.yaml")
    start, end = dt.datetime(2024, 10, 2, tzinfo=dt.UTC), dt.datetime(2024, 10, 3, tzinfo=dt.UTC)
    assert [order["entity_id"] for order in poll(client, "orders_updated", start, end)] == inside


@pytest.mark.parametrize("version", ["1.0.0", "1.1.0"])
def test_searches_and_actions(sandbox: Sandbox, version: str) -> None:
    client = magento(sandbox, version)
    order = new_order(sandbox, quantity=2)
    found = run_search(client, "find_order", {"increment_id": order["increment_id"]})
    assert found.outcome == "found" and found.result["entity_id"] == order["entity_id"]

    shipped = run_action(client, "ship_order", {"order_id": order["entity_id"], "track_number": "1490800000009"})
    assert shipped.outcome == "succeeded"
    shipments = sandbox.control("magento", "/state", method="GET")["shipments"]
    assert [s["entity_id"] for s in shipments] == [shipped.result]
    assert shipments[0]["tracks"][0]["track_number"] == "1490800000009"

    # shipping again (a replay, a retry): the shipment is found, Magento's 400 for a shipped order never comes
    again = run_action(client, "ship_order", {"order_id": order["entity_id"], "track_number": "1490800000009"})
    assert again.outcome == "found" and again.result["entity_id"] == shipped.result
    assert len(sandbox.control("magento", "/state", method="GET")["shipments"]) == 1

    stock = run_action(client, "set_source_item_quantity", {"sku": "ESB-MUG-WHITE", "quantity": 0})
    assert stock.outcome == "succeeded"
    rows = run_search(client, "find_source_items", {"sku": "ESB-MUG-WHITE"})
    assert rows.result == {"sku": "ESB-MUG-WHITE", "source_code": "default", "quantity": 0.0, "status": 0}


def test_admin_token_is_reused_then_obtained_again_after_it_expires(sandbox: Sandbox) -> None:
    client = magento(sandbox)
    run_search(client, "find_order", {"increment_id": "1"})
    run_search(client, "find_order", {"increment_id": "2"})
    assert token_requests(sandbox) == 1
    sandbox.control("magento", "/admin-tokens/expire")
    assert run_search(client, "find_order", {"increment_id": "3"}).outcome == "not_found"  # 401, new token, again
    assert token_requests(sandbox) == 2


def test_wrong_admin_password_asks_for_reconnect(sandbox: Sandbox) -> None:
    with pytest.raises(AuthExpiredError) as caught:
        run_search(magento(sandbox, password="wrong"), "find_order", {"increment_id": "1"})
    assert "sign-in was incorrect" in str(caught.value)


def test_wrong_integration_secret_asks_for_reconnect(sandbox: Sandbox) -> None:
    with pytest.raises(AuthExpiredError) as caught:
        run_search(magento(sandbox, "1.1.0", consumer_secret="wrong"), "find_order", {"increment_id": "1"})
    assert "The signature is invalid" in str(caught.value)
