"""The woocommerce@1.0.0 definition, through our runtime (OAuth 1.0a over HTTP), against the sandbox."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from connectors.runtime.errors import AuthExpiredError
from connectors.runtime.http.client import AppClient
from connectors.runtime.polling import poll
from connectors.spec import load_app_version
from connectors.spec.catalog import BUILTIN_APPS
from tests.unit.sandbox.fixtures import Sandbox
from tests.unit.sandbox.test_apps_against_sandbox import client_for, run_action
from tests.unit.sandbox.woocommerce.api import CONSUMER_KEY, CONSUMER_SECRET, new_order, store_url


def woocommerce(sandbox: Sandbox, secret: str = CONSUMER_SECRET) -> AppClient:
    credentials = {"consumer_key": CONSUMER_KEY, "consumer_secret": secret}
    return client_for("woocommerce", credentials, {"store_url": store_url(sandbox)}, {})


def test_polling_reads_every_page_of_the_window(sandbox: Sandbox, tmp_path: Path) -> None:
    new_order(sandbox, date_modified="2024-10-01T23:00:00Z")
    inside = [new_order(sandbox, date_modified=f"2024-10-02T10:{minute:02d}:00Z")["id"] for minute in range(5)]
    definition = (BUILTIN_APPS / "woocommerce" / "1.0.0.yaml").read_text().replace("size: 100", "size: 2")
    (tmp_path / "woocommerce").mkdir()
    (tmp_path / "woocommerce" / "1.0.0.yaml").write_text(definition)  # 3 pages of 2
    client = woocommerce(sandbox)
    client = AppClient(
        load_app_version(tmp_path / "woocommerce" / "1.0.0.yaml"), client.connection, session=client.session
    )
    start, end = dt.datetime(2024, 10, 2, tzinfo=dt.UTC), dt.datetime(2024, 10, 3, tzinfo=dt.UTC)
    assert [order["id"] for order in poll(client, "orders_updated", start, end)] == inside


def test_actions_and_searches(sandbox: Sandbox) -> None:
    client = woocommerce(sandbox)
    order = new_order(sandbox)
    found = run_action(client, "find_order", {"number": order["id"]}).json()
    assert [o["id"] for o in found] == [order["id"]]
    completed = run_action(client, "update_order_status", {"order_id": order["id"], "status": "completed"})
    assert completed.json()["status"] == "completed"
    note = run_action(client, "add_order_note", {"order_id": order["id"], "note": "AWB 1490800000009"})
    assert note.status_code == 201 and note.json()["customer_note"] is False
    assert run_action(client, "find_product_by_sku", {"sku": "ESB-TEE-RED-M"}).json()[0]["id"] == 13
    stock = run_action(client, "set_product_stock", {"product_id": 11, "stock_quantity": 3}).json()
    assert stock["stock_quantity"] == 3
    variation = {"product_id": 12, "variation_id": 13, "stock_quantity": 0}
    assert run_action(client, "set_variation_stock", variation).json()["stock_status"] == "outofstock"


def test_wrong_consumer_secret_asks_for_reconnect(sandbox: Sandbox) -> None:
    with pytest.raises(AuthExpiredError) as caught:
        run_action(woocommerce(sandbox, secret="cs_wrong"), "find_order", {"number": 1})
    assert "Invalid signature" in str(caught.value)
