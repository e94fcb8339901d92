"""The SAP Business One sandbox over real HTTP, as the Service Layer answers: cookie sessions with an idle timeout,
its error bodies, OData query options, server-driven paging with nextLink, documents and stock, rate limiting."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from connectors.sandbox import SandboxServer
from tests.unit.sandbox.fixtures import Sandbox, fast_config
from tests.unit.sandbox.sap_business_one.api import (
    LOGIN,
    control,
    error_of,
    logged_in,
    new_order,
    service_root,
    state,
)

INVALID_SESSION = (301, "Invalid session or session already timeout.")
HALF_AN_HOUR = 1800


def test_login_answers_the_session_and_sets_both_cookies(sandbox: Sandbox) -> None:
    session = requests.Session()
    session.trust_env = False
    response = session.post(f"{service_root(sandbox)}/Login", json=LOGIN, timeout=10)
    assert response.status_code == 200
    body = response.json()
    assert body["SessionTimeout"] == 30 and body["Version"]
    assert session.cookies["B1SESSION"] == body["SessionId"] and session.cookies["ROUTEID"] == ".node1"
    assert session.get(f"{service_root(sandbox)}/Items", timeout=10).status_code == 200
    assert state(sandbox)["route_ids"] == {".node1": 1}  # the jar sent ROUTEID back with B1SESSION


@pytest.mark.parametrize("field", ["CompanyDB", "UserName", "Password"])
def test_wrong_credentials_are_refused_with_login_failed(sandbox: Sandbox, field: str) -> None:
    response = sandbox.http.post(f"{service_root(sandbox)}/Login", json={**LOGIN, field: "wrong"}, timeout=10)
    assert response.status_code == 401 and error_of(response) == (100000027, "Login failed")
    assert "B1SESSION" not in response.cookies
    assert state(sandbox)["failed_logins"] == 1 and state(sandbox)["sessions"] == 0


@pytest.mark.parametrize("cookie", [None, "B1SESSION=not-a-session"])
def test_a_call_without_a_live_session_is_refused_with_invalid_session(sandbox: Sandbox, cookie: str | None) -> None:
    headers = {"Cookie": cookie} if cookie else {}
    response = sandbox.http.get(f"{service_root(sandbox)}/Orders", headers=headers, timeout=10)
    assert response.status_code == 401 and error_of(response) == INVALID_SESSION


def test_the_session_timeout_counts_idle_time_and_every_call_extends_it(sandbox: Sandbox) -> None:
    session, orders = logged_in(sandbox), f"{service_root(sandbox)}/Orders"
    for _ in range(3):  # 20 minutes apart: an hour in all, never 30 minutes idle
        control(sandbox, "/clock/advance", {"seconds": 1200})
        assert session.get(orders, timeout=10).status_code == 200
    control(sandbox, "/clock/advance", {"seconds": HALF_AN_HOUR + 1})
    response = session.get(orders, timeout=10)
    assert response.status_code == 401 and error_of(response) == INVALID_SESSION
    assert session.get(orders, timeout=10).status_code == 401  # dead for good: a new login is needed


def test_a_shorter_configured_timeout_is_reported_and_enforced() -> None:
    with SandboxServer(fast_config(sap_business_one={"session_timeout": 5})) as server:
        sandbox = Sandbox(server)
        session = logged_in(sandbox)
        control(sandbox, "/clock/advance", {"seconds": 5 * 60 + 1})
        assert session.get(f"{service_root(sandbox)}/Items", timeout=10).status_code == 401


def test_logout_ends_the_session(sandbox: Sandbox) -> None:
    session = logged_in(sandbox)
    assert session.post(f"{service_root(sandbox)}/Logout", timeout=10).status_code == 204
    response = session.get(f"{service_root(sandbox)}/Orders", timeout=10)
    assert response.status_code == 401 and state(sandbox)["logouts"] == 1


def test_pages_of_twenty_by_default_follow_nextlink_with_the_query_as_sent(sandbox: Sandbox) -> None:
    entries = [new_order(sandbox, NumAtCard=f"REF-{n}")["DocEntry"] for n in range(25)]
    session, root = logged_in(sandbox), service_root(sandbox)
    params = {"$filter": "DocEntry ge 1", "$select": "DocEntry,NumAtCard", "$orderby": "DocEntry"}
    first = session.get(f"{root}/Orders", params=params, timeout=10).json()
    assert [o["DocEntry"] for o in first["value"]] == entries[:20]
    assert set(first["value"][0]) == {"DocEntry", "NumAtCard"}
    link = first["odata.nextLink"]
    assert link.startswith("Orders?$filter=DocEntry%20ge%201&$select=DocEntry,NumAtCard") and link.endswith("$skip=20")
    second = session.get(f"{root}/{link}", timeout=10).json()
    assert [o["DocEntry"] for o in second["value"]] == entries[20:] and "odata.nextLink" not in second


def test_prefer_maxpagesize_sets_the_page_size_and_is_reported_applied(sandbox: Sandbox) -> None:
    for n in range(5):
        new_order(sandbox, NumAtCard=f"REF-{n}")
    session, root = logged_in(sandbox), service_root(sandbox)
    prefer = {"Prefer": "odata.maxpagesize=2"}
    url, seen = f"{root}/Orders?$select=DocEntry&$orderby=DocEntry desc", []
    while url:
        response = session.get(url, headers=prefer, timeout=10)
        assert response.headers["Preference-Applied"] == "odata.maxpagesize=2"
        page = response.json()
        assert len(page["value"]) <= 2
        seen += [o["DocEntry"] for o in page["value"]]
        url = f"{root}/{page['odata.nextLink']}" if "odata.nextLink" in page else ""
    assert seen == [5, 4, 3, 2, 1]
    top = session.get(f"{root}/Orders?$top=3", headers=prefer, timeout=10).json()
    assert len(top["value"]) == 2 and top["odata.nextLink"].endswith("$top=1&$skip=2")


def test_filter_literals_quotes_doubled_and_dates_with_a_time(sandbox: Sandbox) -> None:
    wanted = new_order(sandbox, NumAtCard="O'Brien #7", updated_at="2026-03-01T10:15:00Z")
    new_order(sandbox, NumAtCard="O'Brien", updated_at="2026-02-28T23:59:59Z")
    session, orders = logged_in(sandbox), f"{service_root(sandbox)}/Orders"
    by_ref = session.get(orders, params={"$filter": "NumAtCard eq 'O''Brien #7'"}, timeout=10).json()["value"]
    assert [o["DocEntry"] for o in by_ref] == [wanted["DocEntry"]]
    assert wanted["UpdateDate"] == "2026-03-01" and wanted["UpdateTime"] == "10:15:00"
    for date in ("'2026-03-01'", "'2026-03-01T00:00:00'"):
        query = f"UpdateDate ge {date} and (UpdateTime ge '10:00:00' or not (Cancelled eq 'tNO'))"
        found = session.get(orders, params={"$filter": query}, timeout=10).json()["value"]
        assert [o["DocEntry"] for o in found] == [wanted["DocEntry"]]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("startswith(NumAtCard, 'O')", "Syntax error in '$filter' at position 0 near 'startswith(NumAtCard'"),
        ("NumAtCard eq 'unterminated", "Syntax error in '$filter' at position 13 near ''unterminated'"),
        ("DocTotal add 1 gt 2", "Syntax error in '$filter' at position 9 near 'add 1 gt 2'"),
        ("Nonsense eq 1", "Property 'Nonsense' of 'Document' is invalid"),
    ],
)
def test_a_filter_the_service_layer_cannot_take_is_refused(sandbox: Sandbox, query: str, message: str) -> None:
    response = logged_in(sandbox).get(f"{service_root(sandbox)}/Orders", params={"$filter": query}, timeout=10)
    assert response.status_code == 400 and error_of(response) == (-1000, message)


def test_item_stock_per_warehouse_and_a_missing_item(sandbox: Sandbox) -> None:
    session, root = logged_in(sandbox), service_root(sandbox)
    control(sandbox, "/items", {"ItemCode": "A'B", "stock": {"01": 4, "02": 6}})
    item = session.get(f"{root}/Items('A''B')?$select=ItemCode,ItemWarehouseInfoCollection", timeout=10).json()
    assert item["ItemCode"] == "A'B" and "ItemName" not in item
    assert {(w["WarehouseCode"], w["InStock"]) for w in item["ItemWarehouseInfoCollection"]} == {("01", 4), ("02", 6)}
    missing = session.get(f"{root}/Items('NOPE')", timeout=10)
    assert missing.status_code == 404 and error_of(missing) == (-2028, "No matching records found (ODBC -2028)")


def test_an_order_commits_stock_and_a_delivery_from_it_ships_it_and_closes_it(sandbox: Sandbox) -> None:
    session, root = logged_in(sandbox), service_root(sandbox)
    body = {"CardCode": "C-SHOPIFY", "DocDueDate": "2026-12-01", "NumAtCard": "1001",
            "DocumentLines": [{"ItemCode": "ESB-MUG-WHITE", "Quantity": 3, "UnitPrice": 150}]}  # fmt: skip
    order = session.post(f"{root}/Orders", json=body, timeout=10)
    assert order.status_code == 201 and order.json()["DocTotal"] == 450.0
    entry = order.json()["DocEntry"]

    def mug() -> dict[str, float]:
        item = session.get(f"{root}/Items('ESB-MUG-WHITE')", timeout=10).json()
        return next(w for w in item["ItemWarehouseInfoCollection"] if w["WarehouseCode"] == "01")

    assert (mug()["InStock"], mug()["Committed"]) == (10, 3)
    too_many = {"CardCode": "C-SHOPIFY", "DocumentLines": [{"BaseType": 17, "BaseEntry": entry, "BaseLine": 0,
                                                            "Quantity": 4}]}  # fmt: skip
    refused = session.post(f"{root}/DeliveryNotes", json=too_many, timeout=10)
    assert refused.status_code == 400 and error_of(refused)[0] == -5002
    whole = {"CardCode": "C-SHOPIFY", "DocumentLines": [{"BaseType": 17, "BaseEntry": entry, "BaseLine": 0}]}
    delivery = session.post(f"{root}/DeliveryNotes", json=whole, timeout=10)
    assert delivery.status_code == 201 and delivery.json()["DocumentLines"][0]["Quantity"] == 3
    assert (mug()["InStock"], mug()["Committed"]) == (7, 0)
    closed = session.get(f"{root}/Orders({entry})?$select=DocumentStatus", timeout=10).json()
    assert closed["DocumentStatus"] == "bost_Close"
    again = session.post(f"{root}/DeliveryNotes", json=whole, timeout=10)
    assert again.status_code == 400 and error_of(again)[0] == -5002


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"CardCode": "NOBODY"}, -5002),
        ({"DocumentLines": [{"ItemCode": "NO-SUCH-ITEM", "Quantity": 1}]}, -5002),
        ({"DocumentLines": []}, -5002),
        ({"U_NotDefined": "x"}, -1000),
    ],
)
def test_an_order_b1_cannot_take_is_refused(sandbox: Sandbox, change: dict[str, object], code: int) -> None:
    body = {"CardCode": "C-SHOPIFY", "DocDueDate": "2026-12-01",
            "DocumentLines": [{"ItemCode": "ESB-MUG-WHITE", "Quantity": 1}], **change}  # fmt: skip
    response = logged_in(sandbox).post(f"{service_root(sandbox)}/Orders", json=body, timeout=10)
    assert response.status_code == 400 and error_of(response)[0] == code
    assert state(sandbox)["orders"] == []


@pytest.fixture(scope="module")
def limited_server() -> Iterator[SandboxServer]:
    config = fast_config(sap_business_one={"requests_per_second": 1e-9, "burst": 3})
    with SandboxServer(config) as server:
        yield server


def test_rate_limit_when_configured_answers_429_with_retry_after(limited_server: SandboxServer) -> None:
    limited_server.state.reset()
    sandbox = Sandbox(limited_server)
    session = logged_in(sandbox)  # the login is the first of 3 calls
    statuses = [session.get(f"{service_root(sandbox)}/Items", timeout=10).status_code for _ in range(4)]
    assert statuses == [200, 200, 429, 429]
    refused = session.get(f"{service_root(sandbox)}/Items", timeout=10)
    assert int(refused.headers["Retry-After"]) >= 1 and error_of(refused) == (429, "Too Many Requests")
    assert state(sandbox)["rate_limited"] == 3


def test_no_rate_limit_by_default(sandbox: Sandbox) -> None:
    session = logged_in(sandbox)
    assert {session.get(f"{service_root(sandbox)}/Items", timeout=10).status_code for _ in range(30)} == {200}
    assert state(sandbox)["rate_limited"] == 0
