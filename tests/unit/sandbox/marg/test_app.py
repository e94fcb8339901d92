"""The marg@1.0.0 definition, through our runtime, against the sandbox: the credentials in each body, the
connection test, the items_changed window, order lines, and the answers to refused or throttled calls."""

from __future__ import annotations

import datetime as dt

import pytest
import requests

from connectors.runtime.connection_test import prove_credentials
from connectors.runtime.errors import PermanentError
from connectors.runtime.http.client import AppClient, ConnectionValues
from connectors.runtime.polling import poll
from connectors.runtime.steps import run_action
from connectors.spec import load_app_version
from connectors.spec.catalog import BUILTIN_APPS
from tests.unit.sandbox.fixtures import Sandbox
from tests.unit.sandbox.marg.api import DEMO, base_url, state

SPEC = load_app_version(BUILTIN_APPS / "marg" / "1.0.0.yaml")
IST = dt.timezone(dt.timedelta(hours=5, minutes=30))


def marg(sandbox: Sandbox, **credentials: str) -> AppClient:
    session = requests.Session()
    session.trust_env = False
    connection = ConnectionValues(
        "sandbox-marg",
        credentials={"company_code": DEMO.company_code, "marg_id": DEMO.marg_id, **credentials},
        properties={"sales_man_id": "", "order_type": "S"},
    )
    return AppClient(SPEC, connection, environment={"BASE_URL": base_url(sandbox)}, session=session, sleep=no_wait)


def no_wait(seconds: float) -> None:
    """Backoff without waiting: the sandbox's answers, not the clock, decide these tests."""


def test_the_connection_test_proves_the_credentials_and_names_the_refusal(sandbox: Sandbox) -> None:
    assert prove_credentials(marg(sandbox)).ok
    refused = prove_credentials(marg(sandbox, marg_id="999999"))
    assert not refused.ok and "Invalid CompanyCode or MargID" in refused.message and "999999" not in refused.message


def test_items_changed_polls_from_the_window_start_and_a_change_is_a_new_record(sandbox: Sandbox) -> None:
    start = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
    end = start + dt.timedelta(hours=1)
    at = (start + dt.timedelta(minutes=10)).astimezone(IST).replace(tzinfo=None).isoformat()
    sandbox.control("marg", "/products", {"items": [{"code": "ESB-MUG-WHITE", "stock": 5, "at": at}]})
    (row,) = poll(marg(sandbox), "items_changed", start, end)  # the demo items changed long before the window
    assert (row["code"], row["stock"]) == ("ESB-MUG-WHITE", "5.000")
    sandbox.control("marg", "/products", {"items": [{"code": "ESB-MUG-WHITE", "stock": 4, "at": at}]})
    (again,) = poll(marg(sandbox), "items_changed", start, end)
    assert again["stock"] == "4.000" and again["rid"] != row["rid"]  # [code, rid] tells the two changes apart
    body = sandbox.control("marg", "/state", method="GET")
    assert body["calls"] == 2


def test_a_window_with_nothing_changed_yields_no_records(sandbox: Sandbox) -> None:
    start = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
    assert list(poll(marg(sandbox), "items_changed", start, start + dt.timedelta(hours=1))) == []


def test_order_lines_go_in_with_the_company_credentials_and_share_the_order(sandbox: Sandbox) -> None:
    client = marg(sandbox)
    inputs = {"order_id": "ESB-7001", "customer_id": "C001", "product_code": "ESB-TEE-RED-M", "quantity": 2}
    first = run_action(client, "insert_order_line", inputs)
    second = run_action(client, "insert_order_line", {**inputs, "product_code": "ESB-MUG-WHITE", "quantity": 1})
    assert first.outcome == second.outcome == "succeeded"
    assert first.result["OrderDetails"] == [{"OrderID": "ESB-7001", "OrderNo": "SO/00001"}]
    lines = state(sandbox)["order_lines"]
    assert [(line["ProductCode"], line["Quantity"], line["CompanyCode"]) for line in lines] == [
        ("ESB-TEE-RED-M", "2", DEMO.company_code), ("ESB-MUG-WHITE", "1", DEMO.company_code),
    ]  # fmt: skip


def test_a_refused_order_line_fails_without_retrying_and_without_the_marg_id(sandbox: Sandbox) -> None:
    with pytest.raises(PermanentError) as caught:
        run_action(marg(sandbox), "insert_order_line",
                   {"order_id": "E", "customer_id": "C", "product_code": "NOPE", "quantity": 1})  # fmt: skip
    assert "Product NOPE not found" in str(caught.value) and DEMO.marg_id not in str(caught.value)
    assert state(sandbox)["calls"] == 1


def test_a_throttled_poll_waits_and_asks_again(sandbox: Sandbox) -> None:
    sandbox.control("marg", "/faults", {"mode": "rate_limited", "requests": 2, "retry_after": 1})
    start = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
    assert list(poll(marg(sandbox), "items_changed", start, start + dt.timedelta(hours=1))) == []
    (fault,) = sandbox.control("marg", "/faults", method="GET")["faults"]
    assert fault["served"] == 2
