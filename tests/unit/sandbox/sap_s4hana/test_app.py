"""sap_s4hana@1.0.0 through our runtime against the sandbox: the CSRF token fetched once and reused, fetched again
after a 403 `x-csrf-token: Required`, a wrong password, polling across `$skiptoken` pages, each search and action."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from connectors.runtime.connection_test import prove_credentials
from connectors.runtime.errors import AuthExpiredError
from connectors.runtime.http.client import AppClient
from connectors.runtime.polling import poll
from connectors.runtime.steps import StepResult, run_action, run_search
from tests.unit.sandbox.fixtures import Sandbox
from tests.unit.sandbox.sap_s4hana.api import DEMO, ORDER, sap_client, sap_state

VERSIONS = ["1.0.0", "1.1.0"]
ITEMS = [{"Material": "ESB-TEE-RED-M", "RequestedQuantity": "3"}]


def create(client: AppClient, reference: str) -> StepResult:
    inputs = {"purchase_order_by_customer": reference, "sold_to_party": "17100001", "items": ITEMS}
    return run_action(client, "create_sales_order", inputs)


@pytest.mark.parametrize("version", VERSIONS)
def test_the_token_is_fetched_once_and_reused_by_later_writes(sandbox: Sandbox, version: str) -> None:
    client = sap_client(sandbox, version)
    first, second = create(client, "WEB-1"), create(client, "WEB-2")
    assert first.outcome == second.outcome == "succeeded"
    state = sap_state(sandbox)
    assert state["csrf_fetches"] == 1 and state["csrf_refusals"] == 0
    created = {o["PurchaseOrderByCustomer"]: o for o in state["sales_orders"]}
    assert [(i["Material"], i["RequestedQuantity"]) for i in created["WEB-1"]["to_Item"]["results"]] == [
        ("ESB-TEE-RED-M", "3")
    ]
    assert created["WEB-1"]["SalesOrganization"] == "1710" and created["WEB-1"]["SalesOrderType"] == "OR"


@pytest.mark.parametrize("version", VERSIONS)
def test_a_403_required_fetches_the_token_again_and_sends_the_write_once_more(sandbox: Sandbox, version: str) -> None:
    client = sap_client(sandbox, version)
    create(client, "WEB-1")
    sandbox.control("sap_s4hana", "/sessions/expire")
    assert create(client, "WEB-2").outcome == "succeeded"
    state = sap_state(sandbox)
    assert state["csrf_fetches"] == 2 and state["csrf_refusals"] == 1
    assert sorted(o["PurchaseOrderByCustomer"] for o in state["sales_orders"]) == ["DEMO-PO-1", "WEB-1", "WEB-2"]


def test_a_wrong_password_asks_for_reconnect_and_writes_nothing(sandbox: Sandbox) -> None:
    with pytest.raises(AuthExpiredError) as caught:
        create(sap_client(sandbox, password="wrong"), "WEB-1")
    assert caught.value.status == 401
    assert len(sap_state(sandbox)["sales_orders"]) == 1


def test_secrets_never_reach_the_logs(sandbox: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="connectors.http")
    create(sap_client(sandbox), "WEB-1")
    (session,) = sandbox.state.sap_s4hana.sessions.values()
    assert caplog.records and session.csrf_token not in caplog.text and DEMO.password not in caplog.text


def test_a_sales_order_with_the_same_customer_reference_is_found_not_created_again(sandbox: Sandbox) -> None:
    client = sap_client(sandbox)
    created = create(client, "WEB-1")
    again = create(client, "WEB-1")
    assert again.outcome == "found"
    assert again.result["SalesOrder"] == created.result["SalesOrder"]
    found = run_search(client, "find_sales_order", {"purchase_order_by_customer": "WEB-1"})
    assert found.outcome == "found" and found.result["to_Item"]["results"][0]["Material"] == "ESB-TEE-RED-M"
    assert run_search(client, "find_sales_order", {"purchase_order_by_customer": "x' or '1'"}).outcome == "not_found"


def test_goods_issue_is_posted_with_the_deliverys_etag_once(sandbox: Sandbox) -> None:
    client = sap_client(sandbox)
    delivery = run_search(client, "find_outbound_delivery", {"delivery_document": "80000000"}).result
    inputs = {"delivery_document": "80000000", "etag": delivery["__metadata"]["etag"]}
    posted = run_action(client, "post_goods_issue", inputs)
    assert posted.outcome == "succeeded" and posted.result["OverallGoodsMovementStatus"] == "C"
    again = run_action(client, "post_goods_issue", inputs)  # a replay: the posted delivery is found
    assert again.outcome == "found"
    assert sap_state(sandbox)["goods_issues"] == ["80000000"]


def test_polling_reads_every_page_of_the_window(small_pages: Sandbox) -> None:
    client = sap_client(small_pages)
    for index in range(4):
        small_pages.control("sap_s4hana", "/sales-orders", {**ORDER, "PurchaseOrderByCustomer": f"WEB-{index}"})
    start = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    end = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    polled = list(poll(client, "sales_orders_changed", start, end))
    assert [o["SalesOrder"] for o in polled] == ["4000001", "4000002", "4000003", "4000004", "4000005"]
    assert polled[1]["to_Item"]["results"][0]["Material"] == "ESB-MUG-WHITE"
    assert list(poll(client, "sales_orders_changed", end, end + dt.timedelta(minutes=5))) == []


def test_the_connection_test_reads_one_sales_order_or_says_why_not(sandbox: Sandbox) -> None:
    assert prove_credentials(sap_client(sandbox)).ok
    refused = prove_credentials(sap_client(sandbox, password="wrong-secret-value-123"))
    assert not refused.ok and "401" in refused.message and "wrong-secret-value-123" not in refused.message


def test_oauth_token_is_reused_then_obtained_again_after_it_expires(sandbox: Sandbox) -> None:
    client = sap_client(sandbox, "1.1.0")
    create(client, "WEB-1")
    sandbox.control("sap_s4hana", "/access-tokens/expire")
    assert create(client, "WEB-2").outcome == "succeeded"  # 401, a new token, the request again
    state = sap_state(sandbox)
    assert state["token_calls"] == 2 and len(state["sales_orders"]) == 3


def test_a_wrong_oauth_secret_asks_for_reconnect(sandbox: Sandbox) -> None:
    with pytest.raises(AuthExpiredError) as caught:
        create(sap_client(sandbox, "1.1.0", client_secret="wrong-secret-value-123"), "WEB-1")
    assert "invalid_client" in str(caught.value) and "wrong-secret-value-123" not in str(caught.value)
