"""business_central@1.0.0 through our runtime against the sandbox: both polling triggers over their window across
`@odata.nextLink` pages, the searches, find-or-create of a sales order with its lines, and 429 past the request
window; and the OData rules the sandbox holds the app to (unquoted DateTimeOffset literals, known properties,
`Prefer: odata.maxpagesize`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from connectors.runtime.polling import poll
from connectors.runtime.steps import run_action as run_step
from connectors.sandbox import SandboxServer
from tests.unit.sandbox.business_central.api import (
    COMPANY_ID,
    DEMO,
    bc_api,
    business_central,
    enter_order,
    state,
    token,
)
from tests.unit.sandbox.fixtures import Sandbox, fast_config
from tests.unit.sandbox.test_apps_against_sandbox import run_action

START, END = dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC), dt.datetime(2026, 11, 20, 11, tzinfo=dt.UTC)
LINES = [{"lineType": "Item", "lineObjectNumber": "ESB-TEE-RED-M", "quantity": 2, "unitPrice": 499},
         {"lineType": "Item", "lineObjectNumber": "ESB-MUG-WHITE", "quantity": 1, "unitPrice": 299}]  # fmt: skip


def at(minute: float) -> str:
    return (START + dt.timedelta(minutes=minute)).isoformat()


def company(sandbox: Sandbox) -> dict:
    return state(sandbox)["companies"][COMPANY_ID]


def test_polling_sales_orders_follows_next_links_over_the_window(sandbox: Sandbox) -> None:
    inside = {enter_order(sandbox, f"W-{n}", at=at(n % 60))["id"] for n in range(130)}  # two pages of 100
    enter_order(sandbox, "EARLY", at=at(-5))  # before the window and its 60 s overlap
    enter_order(sandbox, "LATE", at=at(60))  # the window's end is excluded

    polled = list(poll(business_central(sandbox, connection="bc-poll"), "sales_orders_updated", START, END))

    assert {order["id"] for order in polled} == inside and len(polled) == 130
    assert polled[0]["salesOrderLines"][0]["lineObjectNumber"] == "ESB-TEE-RED-M"
    assert state(sandbox)["token_calls"] == 1


def test_polling_sales_shipments_finds_the_shipments_posted_in_the_window(sandbox: Sandbox) -> None:
    shipped = []
    for number, minute in (("SHIP-1", 5), ("SHIP-2", 50), ("SHIP-LATER", 75)):
        order = enter_order(sandbox, number, salesOrderLines=LINES)
        path = f"/companies/{COMPANY_ID}/salesOrders/{order['number']}/ship"
        shipped.append(sandbox.control("business_central", path, {"lastModifiedDateTime": at(minute)}))

    polled = list(poll(business_central(sandbox, connection="bc-ship"), "sales_shipments_updated", START, END))

    assert [s["externalDocumentNumber"] for s in polled] == ["SHIP-1", "SHIP-2"]
    assert [(line["lineObjectNumber"], line["quantity"]) for line in polled[0]["salesShipmentLines"]] == [
        ("ESB-TEE-RED-M", 2),
        ("ESB-MUG-WHITE", 1),
    ]
    assert polled[0]["orderNumber"] == shipped[0]["orderNumber"]


def test_create_sales_order_with_lines_is_found_instead_of_created_twice(sandbox: Sandbox) -> None:
    client = business_central(sandbox, connection="bc-create")
    inputs = {"external_document_number": "O'Brien-1001", "customer_number": "C-ESHOPBOX", "lines": LINES,
              "order_date": "2026-11-20", "ship_to_name": "Asha Rao", "ship_to_city": "Bengaluru"}  # fmt: skip

    created = run_step(client, "create_sales_order", inputs)
    again = run_step(client, "create_sales_order", inputs)

    assert (created.outcome, created.status_code, again.outcome) == ("succeeded", 201, "found")
    assert again.result["id"] == created.result["id"] and created.result["number"].startswith("S-ORD")
    assert created.result["totalAmountIncludingTax"] == 1297.0
    assert [line["quantity"] for line in again.result["salesOrderLines"]] == [2, 1]
    orders = company(sandbox)["sales_orders"]
    assert [(o["externalDocumentNumber"], o["shipToCity"]) for o in orders] == [("O'Brien-1001", "Bengaluru")]


def test_an_unknown_item_fails_the_create_without_a_retry(sandbox: Sandbox) -> None:
    client = business_central(sandbox, connection="bc-unknown")
    inputs = {"external_document_number": "X-1", "customer_number": "C-ESHOPBOX", "order_date": "2026-11-20",
              "lines": [{"lineType": "Item", "lineObjectNumber": "NO-SUCH-SKU", "quantity": 1}]}  # fmt: skip
    with pytest.raises(Exception, match="NO-SUCH-SKU") as refused:
        run_step(client, "create_sales_order", inputs)
    assert getattr(refused.value, "status", None) == 400 and company(sandbox)["sales_orders"] == []


def test_find_item_shows_inventory_going_down_when_a_shipment_is_posted(sandbox: Sandbox) -> None:
    client = business_central(sandbox, connection="bc-items")
    order = enter_order(sandbox, "INV-1", salesOrderLines=LINES)
    sandbox.control("business_central", f"/companies/{COMPANY_ID}/salesOrders/{order['number']}/ship")
    item = run_action(client, "find_item", {"number": "ESB-TEE-RED-M"}).json()["value"]
    assert [(i["number"], i["inventory"]) for i in item] == [("ESB-TEE-RED-M", 38)]


def test_pages_honour_maxpagesize_and_link_the_next_with_a_skiptoken(sandbox: Sandbox) -> None:
    access_token, seen, url = token(sandbox), [], None
    response = bc_api(sandbox, "/items", access_token, headers={"Prefer": "odata.maxpagesize=2"})
    while True:
        assert response.status_code == 200 and response.headers["Preference-Applied"] == "odata.maxpagesize=2"
        body = response.json()
        seen += [item["number"] for item in body["value"]]
        url = body.get("@odata.nextLink")
        if url is None:
            break
        assert "$skiptoken=" in url
        response = sandbox.http.get(url, headers={"Authorization": f"Bearer {access_token}",
                                                  "Prefer": "odata.maxpagesize=2"}, timeout=10)  # fmt: skip
    assert seen == ["ESB-MUG-WHITE", "ESB-TEE-BLUE-L", "ESB-TEE-RED-M"]


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("lastModifiedDateTime gt '2026-01-01T00:00:00Z'", "incompatible types"),
        ("lastModified gt 2026-01-01T00:00:00Z", "Could not find a property named 'lastModified'"),
        ("externalDocumentNumber eq 'unterminated", "Syntax error"),
    ],
)
def test_filters_are_typed_as_odata_v4_types_them(sandbox: Sandbox, expression: str, message: str) -> None:
    response = bc_api(sandbox, "/salesOrders", token(sandbox), params={"$filter": expression})
    assert response.status_code == 400 and message in response.json()["error"]["message"]


REQUESTS_PER_WINDOW = 3


@pytest.fixture(scope="module")
def limited() -> Iterator[Sandbox]:
    """BC allowing 3 API requests per 1-second sliding window per client (6,000 per 5 minutes, scaled down)."""
    config = fast_config(business_central={"api_requests_per_window": REQUESTS_PER_WINDOW, "api_window_seconds": 1})
    with SandboxServer(config) as server:
        yield Sandbox(server)


def test_past_the_request_window_bc_answers_429_with_its_error_body(limited: Sandbox) -> None:
    limited.state.reset()
    access_token = token(limited)
    statuses = [bc_api(limited, "/items", access_token).status_code for _ in range(REQUESTS_PER_WINDOW)]
    refused = bc_api(limited, "/items", access_token)
    assert statuses == [200] * REQUESTS_PER_WINDOW and refused.status_code == 429
    assert refused.json()["error"]["code"] == "Application_TooManyRequests"
    assert refused.headers["Retry-After"] == "1"
    assert limited.rate_limited("business_central") == (1, {DEMO.client_id: 1})


def test_the_app_waits_out_a_429_and_carries_on(limited: Sandbox) -> None:
    limited.state.reset()
    client = business_central(limited, connection="bc-limited")
    for _ in range(REQUESTS_PER_WINDOW + 2):
        assert run_action(client, "find_item", {"number": "ESB-MUG-WHITE"}).status_code == 200
    assert limited.rate_limited("business_central")[0] >= 1
