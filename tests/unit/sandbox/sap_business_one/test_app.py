"""The sap_business_one@1.0.0 definition through our runtime, against the sandbox: the cookie session and its
re-login after an idle timeout, the polling window across nextLink pages, each search and action, a 429."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from connectors.runtime.auth.token_store import MemoryTokenStore
from connectors.runtime.errors import AuthExpiredError
from connectors.runtime.polling import poll
from connectors.runtime.steps import run_action, run_search
from connectors.spec import load_app_version
from connectors.spec.catalog import BUILTIN_APPS
from tests.unit.sandbox.fixtures import Sandbox
from tests.unit.sandbox.sap_business_one.api import control, new_order, sap_b1, state

DEFINITION = BUILTIN_APPS / "sap_business_one" / "1.0.0.yaml"
MUG = [{"ItemCode": "ESB-MUG-WHITE", "Quantity": 2, "UnitPrice": 199.0, "WarehouseCode": "01"}]


def test_definition_is_valid() -> None:
    spec = load_app_version(DEFINITION)
    assert spec.ref == "sap_business_one@1.0.0"


def test_logs_in_once_and_sends_both_cookies(sandbox: Sandbox) -> None:
    client = sap_b1(sandbox)
    for _ in range(3):
        assert run_search(client, "find_item_stock", {"item_code": "ESB-MUG-WHITE"}).outcome == "found"
    seen = state(sandbox)
    assert seen["logins"] == 1 and seen["route_ids"] == {".node1": 3}


def test_logs_in_again_when_the_session_went_idle_between_calls(sandbox: Sandbox) -> None:
    store = MemoryTokenStore()  # the session is shared, as between two runs of a workflow
    assert run_search(sap_b1(sandbox, store), "find_order", {"num_at_card": "X"}).outcome == "not_found"
    control(sandbox, "/clock/advance", {"seconds": 31 * 60})
    later = sap_b1(sandbox, store)  # a new client: only the stored B1SESSION, no ROUTEID yet
    assert run_search(later, "find_order", {"num_at_card": "X"}).outcome == "not_found"
    seen = state(sandbox)
    assert seen["logins"] == 2 and seen["sessions"] == 1


def test_wrong_password_needs_reconnecting(sandbox: Sandbox) -> None:
    with pytest.raises(AuthExpiredError) as refused:
        run_search(sap_b1(sandbox, password="wrong"), "find_order", {"num_at_card": "X"})
    assert refused.value.status == 401 and "wrong" not in str(refused.value)


def test_polling_reads_the_window_across_nextlink_pages(sandbox: Sandbox, tmp_path: Path) -> None:
    new_order(sandbox, NumAtCard="before", updated_at="2026-03-01T09:58:59Z")
    inside = [
        new_order(sandbox, NumAtCard=f"in-{n}", updated_at=f"2026-03-01T{stamp}Z")["DocEntry"]
        for n, stamp in enumerate(["09:59:00", "10:00:00", "10:30:00", "23:59:59"])
    ]
    new_order(sandbox, NumAtCard="next-day", updated_at="2026-03-02T00:00:00Z")  # the window's end: excluded
    new_order(sandbox, NumAtCard="later", updated_at="2026-03-02T10:00:00Z")
    (tmp_path / "sap_business_one").mkdir()
    small = DEFINITION.read_text().replace("odata.maxpagesize=100", "odata.maxpagesize=2")
    (tmp_path / "sap_business_one" / "1.0.0.yaml").write_text(small)  # 2 pages of 2
    client = sap_b1(sandbox, definition=tmp_path / "sap_business_one" / "1.0.0.yaml")
    start, end = dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC), dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    records = list(poll(client, "orders_updated", start, end))  # the start moves back by the 60 s overlap
    assert [order["DocEntry"] for order in records] == inside
    assert {"DocEntry", "NumAtCard", "UpdateDate", "UpdateTime", "DocumentLines"} <= set(records[0])


def test_creates_a_sales_order_once_by_its_reference(sandbox: Sandbox) -> None:
    client = sap_b1(sandbox)
    inputs = {"card_code": "C-SHOPIFY", "num_at_card": "O'Brien-1001", "doc_due_date": "2026-12-10",
              "document_lines": MUG}  # fmt: skip
    created = run_action(client, "create_sales_order", inputs)
    assert created.outcome == "succeeded" and created.result["NumAtCard"] == "O'Brien-1001"
    again = run_action(client, "create_sales_order", inputs)
    assert again.outcome == "found" and again.result["DocEntry"] == created.result["DocEntry"]
    orders = state(sandbox)["orders"]
    assert len(orders) == 1 and orders[0]["DocumentLines"][0]["Quantity"] == 2


def test_delivery_from_the_order_ships_stock_and_closes_it(sandbox: Sandbox) -> None:
    client = sap_b1(sandbox)
    order = new_order(sandbox, DocumentLines=MUG)
    lines = [{"BaseType": 17, "BaseEntry": order["DocEntry"], "BaseLine": 0}]
    delivery = run_action(client, "create_delivery", {"card_code": "C-SHOPIFY", "document_lines": lines})
    assert delivery.outcome == "succeeded" and delivery.result["DocumentLines"][0]["BaseEntry"] == order["DocEntry"]
    stock = run_search(client, "find_item_stock", {"item_code": "ESB-MUG-WHITE"}).result
    main = next(w for w in stock["ItemWarehouseInfoCollection"] if w["WarehouseCode"] == "01")
    assert (main["InStock"], main["Committed"]) == (8, 0)
    assert state(sandbox)["orders"][0]["DocumentStatus"] == "bost_Close"


def test_close_order_and_a_missing_item(sandbox: Sandbox) -> None:
    client = sap_b1(sandbox)
    order = new_order(sandbox)
    assert run_action(client, "close_order", {"doc_entry": order["DocEntry"]}).outcome == "succeeded"
    assert state(sandbox)["orders"][0]["DocumentStatus"] == "bost_Close"
    assert run_search(client, "find_item_stock", {"item_code": "NO'SUCH"}).outcome == "not_found"


def test_a_429_is_retried(sandbox: Sandbox) -> None:
    control(sandbox, "/faults", {"mode": "rate_limited", "requests": 2, "retry_after": 0, "path": "/b1s/v1/Items"})
    found = run_search(sap_b1(sandbox), "find_item_stock", {"item_code": "ESB-MUG-WHITE"})
    assert found.outcome == "found"
    assert control(sandbox, "/faults", method="GET")["faults"][0]["served"] == 2
