"""The ginesys@1.0.0 definition, through our runtime, against the sandbox: the query credentials, the connection
test, the stock lookup, the skus_changed window across pages, and an order pushed once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import requests

from connectors.runtime.connection_test import prove_credentials
from connectors.runtime.errors import PermanentError
from connectors.runtime.http.client import AppClient, ConnectionValues
from connectors.runtime.polling import poll
from connectors.runtime.steps import run_action, run_search, search_records
from connectors.spec import load_app_version
from connectors.spec.catalog import BUILTIN_APPS
from tests.unit.sandbox.fixtures import Sandbox
from tests.unit.sandbox.ginesys.api import DEMO, base_url, order, state

SPEC = load_app_version(BUILTIN_APPS / "ginesys" / "1.0.0.yaml")


def ginesys(sandbox: Sandbox, **credentials: str) -> AppClient:
    session = requests.Session()
    session.trust_env = False
    connection = ConnectionValues(
        "sandbox-ginesys",
        credentials={"username": DEMO.username, "auth_string": DEMO.auth_string, **credentials},
        properties={"channel_id": "68"},
    )
    return AppClient(SPEC, connection, environment={"BASE_URL": base_url(sandbox)}, session=session, sleep=no_wait)


def no_wait(seconds: float) -> None:
    """Backoff without waiting: the sandbox's answers, not the clock, decide these tests."""


def order_inputs(reference: str) -> dict[str, Any]:
    body = order(reference)
    names = SPEC.actions["create_order"].inputs
    return {name: value for name, value in body.items() if name in names and name != "channel_id"}


def test_the_connection_test_proves_the_credentials_and_keeps_the_auth_string_out(sandbox: Sandbox) -> None:
    assert prove_credentials(ginesys(sandbox)).ok
    refused = prove_credentials(ginesys(sandbox, auth_string="not-the-auth-string"))
    assert not refused.ok and "401" in refused.message and "not-the-auth-string" not in refused.message


def test_find_sku_stock_answers_one_match_per_warehouse(sandbox: Sandbox) -> None:
    client = ginesys(sandbox)
    rows = search_records(client, "find_sku_stock", {"sku": "ESB-TEE-RED-M"})
    stock = [(r["Warehouse"]["id"], r["SkusClosingStock"]["closing_stock"]) for r in rows]
    assert stock == [("57620", "41"), ("57942", "6")]
    assert run_search(client, "find_sku_stock", {"sku": "NOPE"}).outcome == "not_found"


def test_skus_changed_polls_the_window_across_pages(sandbox: Sandbox) -> None:
    start = dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)
    for n in range(105):  # more than one page of 100
        at = (start + dt.timedelta(seconds=10 + n)).isoformat()
        sandbox.control("ginesys", "/stock", {"sku": f"SKU-{n:03d}", "warehouse_id": "57620", "closing_stock": n,
                                              "at": at})  # fmt: skip
    later = (start + dt.timedelta(hours=2)).isoformat()
    sandbox.control("ginesys", "/stock", {"sku": "LATER", "warehouse_id": "57620", "closing_stock": 1, "at": later})
    records = list(poll(ginesys(sandbox), "skus_changed", start, start + dt.timedelta(hours=1)))
    assert [r["Sku"]["custom_code"] for r in records] == [f"SKU-{n:03d}" for n in range(105)]
    assert records[7]["Sku"]["stock"] == "7"


def test_an_order_is_pushed_once_and_a_second_push_is_answered_with_a_warning(sandbox: Sandbox) -> None:
    client = ginesys(sandbox)
    created = run_action(client, "create_order", order_inputs("SHOP-9001"))
    assert created.outcome == "succeeded" and created.result["data"][0]["order_reference"] == "SHOP-9001"
    (stored,) = state(sandbox)["orders"]
    assert (stored["channel_id"], stored["is_billing_address_same_as_shipping"]) == ("68", "Y")
    assert stored["billing_address"] == stored["shipping_address"]
    again = run_action(client, "create_order", order_inputs("SHOP-9001"))
    assert again.result["messages"][0]["status"] == "warning" and len(state(sandbox)["orders"]) == 1


def test_a_refused_order_fails_at_once(sandbox: Sandbox) -> None:
    with pytest.raises(PermanentError) as caught:
        run_action(ginesys(sandbox), "create_order", {**order_inputs("SHOP-9002"), "items": [{"quantity": 1}]})
    assert "items must be a list of objects with a custom_code" in str(caught.value)
    assert DEMO.auth_string not in str(caught.value)


def test_an_order_answered_503_after_it_was_taken_is_sent_again_and_stays_one_order(sandbox: Sandbox) -> None:
    sandbox.control("ginesys", "/faults", {"mode": "commit_then_503", "requests": 1, "method": "POST"})
    pushed = run_action(ginesys(sandbox), "create_order", order_inputs("SHOP-9003"))
    assert pushed.outcome == "succeeded" and pushed.result["messages"][0]["message"] == "Order already exists"
    assert len(state(sandbox)["orders"]) == 1
