"""The S/4HANA sandbox's OData v2 contract: the `{"d": {"results"}}` shape, `$filter` (typed literals, the subset it
understands, Gateway's 400 for the rest), `$top`/`$skip`, server-driven pages with `$skiptoken` in `__next`, the
deep insert's checks, and PostGoodsIssue guarded by the delivery's etag."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.sandbox.fixtures import Sandbox
from tests.unit.sandbox.sap_s4hana.api import AUTH, JSON, ORDER, deliveries, fetch_token, new_session, odata, sap_state


def read(sandbox: Sandbox, path: str = "/A_SalesOrder", url: str | None = None, **params: Any) -> Any:
    response = sandbox.http.get(url or odata(sandbox) + path, params=params, auth=AUTH, headers=JSON, timeout=10)
    return response


def orders(sandbox: Sandbox, count: int) -> list[str]:
    numbers = []
    for index in range(count):
        spec = {**ORDER, "PurchaseOrderByCustomer": f"WEB-{index}"}
        numbers.append(sandbox.control("sap_s4hana", "/sales-orders", spec)["sales_order"]["SalesOrder"])
    return numbers


def test_filter_by_customer_reference_answers_the_v2_shape(sandbox: Sandbox) -> None:
    (number,) = orders(sandbox, 1)
    body = read(sandbox, **{"$filter": "PurchaseOrderByCustomer eq 'WEB-0'", "$expand": "to_Item"}).json()
    (order,) = body["d"]["results"]
    assert order["SalesOrder"] == number and order["__metadata"]["type"] == "API_SALES_ORDER_SRV.A_SalesOrderType"
    assert order["__metadata"]["etag"].startswith("W/\"datetimeoffset'")
    assert order["LastChangeDateTime"].startswith("/Date(") and order["LastChangeDateTime"].endswith("+0000)/")
    assert order["to_Item"]["results"][0]["RequestedQuantity"] == "2"  # Edm.Decimal as text
    assert "__next" not in body["d"]


def test_quotes_in_a_string_literal_are_doubled(sandbox: Sandbox) -> None:
    sandbox.control("sap_s4hana", "/sales-orders", {**ORDER, "PurchaseOrderByCustomer": "O'Brien"})
    assert len(read(sandbox, **{"$filter": "PurchaseOrderByCustomer eq 'O''Brien'"}).json()["d"]["results"]) == 1


def test_datetimeoffset_window_and_inlinecount(sandbox: Sandbox) -> None:
    orders(sandbox, 2)
    window = "LastChangeDateTime gt datetimeoffset'2000-01-01T00:00:00Z' and LastChangeDateTime le "
    body = read(sandbox, **{"$filter": window + "datetimeoffset'2999-01-01T00:00:00Z'", "$inlinecount": "allpages"})
    assert body.json()["d"]["__count"] == "3"  # the demo order too
    empty = read(sandbox, **{"$filter": "LastChangeDateTime gt datetimeoffset'2999-01-01T00:00:00Z'"})
    assert empty.json() == {"d": {"results": []}}


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("LastChangeDateTime gt datetime'2026-01-01T00:00:00'", "Invalid parametertype used at function 'gt'"),
        ("substringof('WEB', PurchaseOrderByCustomer)", "Invalid filter expression"),
        ("PurchaseOrderByCustomer eq 'x' and", "Invalid filter expression"),
        ("NoSuchField eq 'x'", "Property NoSuchField not found in type A_SalesOrderType"),
    ],
)
def test_filters_outside_the_subset_are_refused_with_gateways_error(
    sandbox: Sandbox, expression: str, message: str
) -> None:
    response = read(sandbox, **{"$filter": expression})
    assert response.status_code == 400
    error = response.json()["error"]
    assert message in error["message"]["value"] and error["message"]["lang"] == "en"
    assert error["innererror"]["application"]["service_id"] == "API_SALES_ORDER_SRV"


def test_reads_must_ask_for_json(sandbox: Sandbox) -> None:
    response = sandbox.http.get(odata(sandbox) + "/A_SalesOrder", auth=AUTH, timeout=10)
    assert response.status_code == 406
    assert read(sandbox, **{"$format": "json"}).status_code == 200


def test_server_pages_follow_skiptoken_in_next(small_pages: Sandbox) -> None:
    numbers = ["4000001", *orders(small_pages, 4)]
    seen, url, params = [], None, {"$filter": "SoldToParty eq '17100001'"}
    for _ in range(5):
        body = read(small_pages, url=url, **(params if url is None else {})).json()["d"]
        seen += [order["SalesOrder"] for order in body["results"]]
        url = body.get("__next")
        if url is None:
            break
        assert "$skiptoken=" in url and "$filter=SoldToParty" in url
    assert seen == numbers


def test_top_and_skip_select_before_paging(small_pages: Sandbox) -> None:
    orders(small_pages, 4)
    body = read(small_pages, **{"$skip": "1", "$top": "3"}).json()["d"]
    assert [o["SalesOrder"] for o in body["results"]] == ["4000002", "4000003"]
    assert body["__next"].endswith("$skiptoken=2")
    last = read(small_pages, url=body["__next"]).json()["d"]
    assert [o["SalesOrder"] for o in last["results"]] == ["4000004"] and "__next" not in last


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"SoldToParty": ""}, "Property 'SoldToParty' is mandatory"),
        ({"SoldToParty": "999"}, "Sold-to party 999 not maintained"),
        ({"to_Item": [{"Material": "NOPE", "RequestedQuantity": "1"}]}, "Material NOPE is not defined"),
    ],
)
def test_deep_insert_refuses_what_sap_would(sandbox: Sandbox, change: dict[str, Any], message: str) -> None:
    http = new_session()
    token = fetch_token(sandbox, http)
    response = http.post(
        odata(sandbox) + "/A_SalesOrder", json={**ORDER, **change}, auth=AUTH,
        headers={**JSON, "x-csrf-token": token}, timeout=10,
    )  # fmt: skip
    assert response.status_code == 400 and message in response.json()["error"]["message"]["value"]


def goods_issue(sandbox: Sandbox, http: Any, token: str, number: str, etag: str | None) -> Any:
    headers = {**JSON, "x-csrf-token": token, **({"If-Match": etag} if etag else {})}
    params = {"DeliveryDocument": f"'{number}'"}
    return http.post(deliveries(sandbox) + "/PostGoodsIssue", params=params, auth=AUTH, headers=headers, timeout=10)


def test_post_goods_issue_needs_the_current_etag_and_happens_once(sandbox: Sandbox) -> None:
    http = new_session()
    token = fetch_token(sandbox, http)
    (delivery,) = read(sandbox, url=deliveries(sandbox) + "/A_OutbDeliveryHeader").json()["d"]["results"]
    number, etag = delivery["DeliveryDocument"], delivery["__metadata"]["etag"]
    assert delivery["OverallGoodsMovementStatus"] == "A"
    assert goods_issue(sandbox, http, token, number, None).status_code == 428
    assert goods_issue(sandbox, http, token, number, 'W/"stale"').status_code == 412
    posted = goods_issue(sandbox, http, token, number, etag)
    assert posted.status_code == 200 and posted.json()["d"]["OverallGoodsMovementStatus"] == "C"
    again = goods_issue(sandbox, http, token, number, "*")
    assert again.status_code == 400 and "already been posted" in again.json()["error"]["message"]["value"]
    assert sap_state(sandbox)["goods_issues"] == [number]
