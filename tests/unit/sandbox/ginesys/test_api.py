"""The Ginesys (Browntape) sandbox's contract: username and auth_string in the query, inventory lookup per
warehouse, the SKU index by modified time and page, orders added (at most 10 a call), rate limit and faults."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.sandbox import SandboxServer
from tests.unit.sandbox.fixtures import Sandbox, fast_config
from tests.unit.sandbox.ginesys.api import DEMO, call, order, state

LOOKUP = "/0.11/skus/inventory_lookup.json"


@pytest.mark.parametrize("auth_string", [None, "wrong"])
def test_a_call_without_the_api_users_auth_string_is_refused(sandbox: Sandbox, auth_string: str | None) -> None:
    refused = call(sandbox, "GET", LOOKUP, auth_string=auth_string, params={"skucode": "ESB-TEE-RED-M"})
    assert refused.status_code == 401
    assert refused.json() == {"success": False, "status_code": 401,
                              "message": "Authentication failed: invalid username or auth_string"}  # fmt: skip


def test_inventory_lookup_answers_the_closing_stock_in_each_warehouse(sandbox: Sandbox) -> None:
    found = call(sandbox, "GET", LOOKUP, params={"skucode": "ESB-TEE-RED-M"}).json()
    assert (found["status_code"], found["success"], found["result_count"]) == (200, True, 2)
    rows = [(r["SkusClosingStock"]["closing_stock"], r["Warehouse"]["warehouse_short_code"]) for r in found["data"]]
    assert rows == [("41", "def"), ("6", "TwGOA")]
    unknown = call(sandbox, "GET", LOOKUP, params={"skucode": "NOPE"}).json()
    assert (unknown["result_count"], unknown["data"]) == (0, [])


def test_the_sku_index_takes_a_modified_window_and_pages(sandbox: Sandbox) -> None:
    for n in range(3):
        at = f"2026-11-20T10:0{n}:00Z"
        sandbox.control("ginesys", "/stock", {"sku": f"SKU-{n}", "warehouse_id": "57620", "closing_stock": n, "at": at})
    window = {"modified_from": "2026-11-20 10:00:00", "modified_to": "2026-11-20 10:01:00", "page_size": 1}
    first = call(sandbox, "GET", "/0.1/skus/index.json", params={**window, "page": 1}).json()
    second = call(sandbox, "GET", "/0.1/skus/index.json", params={**window, "page": 2}).json()
    past = call(sandbox, "GET", "/0.1/skus/index.json", params={**window, "page": 3}).json()
    assert [e["Sku"]["custom_code"] for e in first["data"] + second["data"]] == ["SKU-0", "SKU-1"]  # both ends in
    assert (first["result_count"], first["results_per_page"], past["data"]) == (2, 1, [])
    assert first["data"][0]["Sku"]["SkusWarehouse"] == [{"warehouse_id": "57620", "stock": "0",
                                                         "stock_pending_dispatch": 0}]  # fmt: skip
    whole_day = call(sandbox, "GET", "/0.1/skus/index.json", params={"modified_from": "'2026-11-20'"}).json()
    assert whole_day["result_count"] == 3
    bad = call(sandbox, "GET", "/0.1/skus/index.json", params={"modified_from": "20/11/2026"})
    assert bad.status_code == 400 and bad.json()["success"] is False


def test_an_order_is_added_once_per_channel_reference_and_reserves_its_stock(sandbox: Sandbox) -> None:
    added = call(sandbox, "POST", "/0.1/orders/add.json", json={"data": [order("SHOP-1")]}).json()
    (created,) = added["data"]
    assert added["success"] is True and created["order_reference"] == "SHOP-1" and added["messages"] == []
    again = call(sandbox, "POST", "/0.1/orders/add.json", json={"data": [order("SHOP-1")]}).json()
    assert again["data"] == [] and again["messages"] == [
        {"order_reference": "SHOP-1", "Order_id": created["id"], "status": "warning", "message": "Order already exists"}
    ]
    assert len(state(sandbox)["orders"]) == 1
    default = call(sandbox, "GET", LOOKUP, params={"skucode": "ESB-TEE-RED-M"}).json()["data"][0]
    assert default["SkusClosingStock"]["closing_pending_stock"] == "2"


def test_orders_missing_mandatory_fields_or_more_than_ten_are_refused(sandbox: Sandbox) -> None:
    missing = call(sandbox, "POST", "/0.1/orders/add.json", json={"data": [order("SHOP-2", channel_id="")]})
    assert missing.status_code == 400 and "channel_id" in missing.json()["message"]
    many = call(sandbox, "POST", "/0.1/orders/add.json", json={"data": [order(f"S-{n}") for n in range(11)]})
    assert many.status_code == 400 and "Maximum of 10 orders" in many.json()["message"]
    assert state(sandbox)["orders"] == []


LIMIT = 3


@pytest.fixture(scope="module")
def _limited() -> Iterator[SandboxServer]:
    with SandboxServer(fast_config(ginesys={"requests_per_second": 1e-9, "burst": LIMIT})) as server:
        yield server


def test_rate_limit_answers_429_with_retry_after(_limited: SandboxServer) -> None:
    _limited.state.reset()
    sandbox = Sandbox(_limited)
    statuses = [call(sandbox, "GET", LOOKUP, params={"skucode": "X"}).status_code for _ in range(LIMIT)]
    refused = call(sandbox, "GET", LOOKUP, params={"skucode": "X"})
    assert statuses == [200] * LIMIT and refused.status_code == 429
    assert refused.json() == {"success": False, "status_code": 429, "message": "API limit exceeded"}
    assert int(refused.headers["retry-after"]) >= 1
    assert sandbox.rate_limited("ginesys") == (1, {DEMO.username: 1})


def test_the_rate_limit_is_off_by_default_and_faults_answer_in_browntapes_shape(sandbox: Sandbox) -> None:
    assert {call(sandbox, "GET", LOOKUP, params={"skucode": "X"}).status_code for _ in range(20)} == {200}
    sandbox.control("ginesys", "/faults", {"mode": "unavailable", "requests": 1})
    down = call(sandbox, "GET", LOOKUP, params={"skucode": "X"})
    assert down.status_code == 503 and down.json()["success"] is False


def test_credentials_outside_ascii_are_refused_not_an_error(sandbox: Sandbox) -> None:
    assert call(sandbox, "GET", LOOKUP, auth_string="ключ", params={"skucode": "X"}).status_code == 401
