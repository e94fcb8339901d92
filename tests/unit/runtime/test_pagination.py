"""Paginators driven by real HTTP responses: what the next request carries and where paging stops."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter

from connectors.runtime.errors import ConfigurationError
from connectors.runtime.http.client import AppClient
from connectors.runtime.http.pagination import Paginator, SinglePage, build_paginator
from connectors.runtime.http.request import RenderedRequest
from connectors.runtime.paths import dig
from connectors.spec.pagination import PaginationSpec
from tests.unit.runtime.helpers import make_client, make_spec
from tests.unit.runtime.scripted_server import Scripted, ScriptedServer

MAX_PAGES = 20


def paginator(block: dict[str, Any] | None) -> Paginator:
    spec = None if block is None else TypeAdapter(PaginationSpec).validate_python(block)
    return build_paginator(spec)


def fetch_all(client: AppClient, pages: Paginator, request: RenderedRequest, records_path: str) -> list[Any]:
    """Follow `pages` from `request`, collecting the records at `records_path` of each page."""
    collected: list[Any] = []
    next_request: RenderedRequest | None = pages.first(request)
    for _ in range(MAX_PAGES):
        if next_request is None:
            return collected
        response = client.send(next_request)
        records = dig(response.json(), records_path, [])
        collected.extend(records)
        next_request = pages.next(next_request, response, records)
    raise AssertionError(f"still paging after {MAX_PAGES} pages")


@pytest.fixture
def client(scripted_server: ScriptedServer) -> AppClient:
    return make_client(make_spec(), scripted_server.url)


def orders(*ids: int) -> dict[str, Any]:
    return {"orders": [{"id": i} for i in ids]}


def test_link_header_follows_next_with_only_the_links_query(scripted_server: ScriptedServer, client: AppClient) -> None:
    base = scripted_server.url
    scripted_server.reply(200, orders(1, 2), {"Link": f'<{base}/orders.json?page_info=abc&limit=2>; rel="next"'})
    scripted_server.reply(
        200,
        orders(3, 4),
        {
            "Link": f'<{base}/orders.json?page_info=zzz&limit=2>; rel="previous", '
            f'<{base}/orders.json?page_info=def&limit=2>; rel="next"'
        },
    )
    scripted_server.reply(200, orders(5), {"Link": f'<{base}/orders.json?page_info=abc&limit=2>; rel="previous"'})
    first = RenderedRequest(
        "GET", f"{base}/orders.json", params={"status": "any", "limit": 2, "created_at_min": "2024-01-01"}
    )

    records = fetch_all(client, paginator({"type": "link_header"}), first, "orders")

    assert [r["id"] for r in records] == [1, 2, 3, 4, 5]
    sent = scripted_server.requests
    assert sent[0].params == {"status": "any", "limit": "2", "created_at_min": "2024-01-01"}
    # Shopify refuses any other parameter next to page_info: the original filters must not be repeated.
    assert sent[1].query == {"page_info": ["abc"], "limit": ["2"]}
    assert sent[2].query == {"page_info": ["def"], "limit": ["2"]}
    assert len(sent) == 3


def test_link_header_custom_rel(scripted_server: ScriptedServer, client: AppClient) -> None:
    base = scripted_server.url
    scripted_server.reply(200, orders(1), {"Link": f'<{base}/o?cursor=2>; rel="next-page"'})
    scripted_server.reply(200, orders(2), {"Link": f'<{base}/o?cursor=1>; rel="next"'})  # wrong rel: stop

    records = fetch_all(
        client, paginator({"type": "link_header", "rel": "next-page"}), RenderedRequest("GET", f"{base}/o"), "orders"
    )

    assert [r["id"] for r in records] == [1, 2]
    assert [r.params for r in scripted_server.requests] == [{}, {"cursor": "2"}]


def test_page_number_stops_at_total_pages_header(scripted_server: ScriptedServer, client: AppClient) -> None:
    for page in range(3):
        scripted_server.reply(200, orders(2 * page + 1, 2 * page + 2), {"X-Total-Pages": "3"})
    pages = paginator(
        {"type": "page_number", "size_param": "per_page", "size": 2, "total_pages_header": "X-Total-Pages"}
    )

    records = fetch_all(client, pages, RenderedRequest("GET", f"{scripted_server.url}/orders", {"q": "x"}), "orders")

    assert [r["id"] for r in records] == [1, 2, 3, 4, 5, 6]
    assert [r.params for r in scripted_server.requests] == [
        {"q": "x", "page": str(page), "per_page": "2"} for page in (1, 2, 3)
    ]


def test_page_number_stops_at_total_pages_in_the_body_counting_from_zero(
    scripted_server: ScriptedServer, client: AppClient
) -> None:
    scripted_server.reply(200, {"data": {"items": [1, 2]}, "meta": {"total_pages": 2}})
    scripted_server.reply(200, {"data": {"items": [3, 4]}, "meta": {"total_pages": 2}})
    pages = paginator({"type": "page_number", "param": "pageNo", "start": 0, "total_pages_path": "meta.total_pages"})

    records = fetch_all(client, pages, RenderedRequest("GET", f"{scripted_server.url}/items"), "data.items")

    assert records == [1, 2, 3, 4]
    assert [r.params for r in scripted_server.requests] == [{"pageNo": "0"}, {"pageNo": "1"}]


def test_page_number_stops_on_an_empty_page_or_a_short_page(scripted_server: ScriptedServer, client: AppClient) -> None:
    scripted_server.reply(200, orders(1, 2), path="/a")
    scripted_server.reply(200, orders(3, 4), path="/a")
    scripted_server.reply(200, orders(), path="/a")
    records = fetch_all(
        client, paginator({"type": "page_number"}), RenderedRequest("GET", f"{scripted_server.url}/a"), "orders"
    )
    assert len(records) == 4

    scripted_server.reply(200, orders(1, 2, 3), path="/b")
    scripted_server.reply(200, orders(4), path="/b")
    short = paginator({"type": "page_number", "size_param": "limit", "size": 3})
    records = fetch_all(client, short, RenderedRequest("GET", f"{scripted_server.url}/b"), "orders")
    assert len(records) == 4

    assert scripted_server.paths == ["/a", "/a", "/a", "/b", "/b"]


def test_page_number_stops_at_total_records_when_a_page_past_the_end_repeats_the_last(
    scripted_server: ScriptedServer, client: AppClient
) -> None:
    """Magento: 4 matches in pages of 2; page 3 would answer page 2 again, so only `total_count` can stop it."""
    scripted_server.reply(200, {"items": [{"id": 1}, {"id": 2}], "total_count": 4})
    scripted_server.reply(200, {"items": [{"id": 3}, {"id": 4}], "total_count": 4})
    scripted_server.default = Scripted(200, {"items": [{"id": 3}, {"id": 4}], "total_count": 4})
    pages = paginator(
        {"type": "page_number", "param": "searchCriteria[currentPage]", "size_param": "searchCriteria[pageSize]",
         "size": 2, "total_records_path": "total_count"}
    )  # fmt: skip

    records = fetch_all(client, pages, RenderedRequest("GET", f"{scripted_server.url}/V1/orders"), "items")

    assert [r["id"] for r in records] == [1, 2, 3, 4]
    assert [r.params["searchCriteria[currentPage]"] for r in scripted_server.requests] == ["1", "2"]


def test_total_records_path_needs_a_page_size() -> None:
    with pytest.raises(ValueError, match="total_records_path needs 'size'"):
        paginator({"type": "page_number", "total_records_path": "total_count"})


def test_cursor_in_a_query_parameter(scripted_server: ScriptedServer, client: AppClient) -> None:
    scripted_server.reply(200, {"payload": {"Orders": [1, 2], "NextToken": "tok/2+="}})
    scripted_server.reply(200, {"payload": {"Orders": [3], "NextToken": "tok3"}})
    scripted_server.reply(200, {"payload": {"Orders": [4], "NextToken": None}})
    pages = paginator({"type": "cursor", "cursor_path": "payload.NextToken", "param": "NextToken"})
    first = RenderedRequest("GET", f"{scripted_server.url}/orders/v0/orders", {"MarketplaceIds": "A21TJRUUN4KGV"})

    records = fetch_all(client, pages, first, "payload.Orders")

    assert records == [1, 2, 3, 4]
    assert [r.params for r in scripted_server.requests] == [
        {"MarketplaceIds": "A21TJRUUN4KGV"},
        {"MarketplaceIds": "A21TJRUUN4KGV", "NextToken": "tok/2+="},  # sent encoded, arrives intact
        {"MarketplaceIds": "A21TJRUUN4KGV", "NextToken": "tok3"},
    ]


def test_cursor_stop_path_ends_paging_even_with_a_cursor(scripted_server: ScriptedServer, client: AppClient) -> None:
    scripted_server.reply(200, {"data": [1], "has_more": True, "last": "c1"})
    scripted_server.reply(200, {"data": [2], "has_more": False, "last": "c2"})
    pages = paginator({"type": "cursor", "cursor_path": "last", "param": "starting_after", "stop_path": "has_more"})

    records = fetch_all(client, pages, RenderedRequest("GET", f"{scripted_server.url}/charges"), "data")

    assert records == [1, 2]
    assert [r.params for r in scripted_server.requests] == [{}, {"starting_after": "c1"}]


def test_cursor_as_an_absolute_url(scripted_server: ScriptedServer, client: AppClient) -> None:
    base = scripted_server.url
    scripted_server.reply(200, {"value": [1, 2], "@odata.nextLink": f"{base}/v2/items?$skiptoken=X1"})
    scripted_server.reply(200, {"value": [3]})
    pages = paginator({"type": "cursor", "cursor_path": "@odata.nextLink"})

    records = fetch_all(client, pages, RenderedRequest("GET", f"{base}/v1/items", {"$top": 2}), "value")

    assert records == [1, 2, 3]
    second = scripted_server.requests[1]
    assert second.path == "/v2/items"
    assert second.query == {"$skiptoken": ["X1"]}  # the original $top is not repeated


def test_cursor_as_a_url_relative_to_the_server(scripted_server: ScriptedServer, client: AppClient) -> None:
    scripted_server.reply(200, {"items": [1], "nextPageUrl": "/api/v1/items?page=2"})
    scripted_server.reply(200, {"items": [2], "nextPageUrl": None})
    pages = paginator({"type": "cursor", "cursor_path": "nextPageUrl"})

    records = fetch_all(client, pages, RenderedRequest("GET", f"{scripted_server.url}/api/v1/items"), "items")

    assert records == [1, 2]
    assert scripted_server.paths == ["/api/v1/items", "/api/v1/items"]
    assert scripted_server.requests[1].params == {"page": "2"}


def test_cursor_url_posted_first_then_got_relative_to_the_base_url(scripted_server: ScriptedServer) -> None:
    """Flipkart: `POST /v3/shipments/filter` with a JSON filter, then `GET nextPageUrl`, a path under the app's
    base URL (`/sellers`), not under the server's root; the filter body is not sent again."""
    base = f"{scripted_server.url}/sellers"
    scripted_server.reply(
        200, {"shipments": [1, 2], "hasMore": True, "nextPageUrl": "/v3/shipments/filter?next_token=a/b"}
    )
    scripted_server.reply(200, {"shipments": [3], "hasMore": True, "nextPageUrl": "/v3/shipments/filter?next_token=c"})
    scripted_server.reply(200, {"shipments": [4], "hasMore": False, "nextPageUrl": "/v3/shipments/filter?next_token=d"})
    block = {"type": "cursor", "cursor_path": "nextPageUrl", "stop_path": "hasMore", "next_method": "GET",
             "relative_to": "base_url"}  # fmt: skip
    pages = build_paginator(TypeAdapter(PaginationSpec).validate_python(block), base)
    first = RenderedRequest(
        "POST", f"{base}/v3/shipments/filter", {"x": "1"}, json={"filter": {"states": ["APPROVED"]}}
    )

    records = fetch_all(make_client(make_spec(), base), pages, first, "shipments")

    assert records == [1, 2, 3, 4]
    sent = scripted_server.requests
    assert [(r.method, r.path) for r in sent] == [("POST", "/sellers/v3/shipments/filter")] + [
        ("GET", "/sellers/v3/shipments/filter")
    ] * 2
    assert sent[0].json == {"filter": {"states": ["APPROVED"]}}
    assert [r.query for r in sent[1:]] == [{"next_token": ["a/b"]}, {"next_token": ["c"]}]
    assert [r.body for r in sent[1:]] == [b"", b""]


def test_cursor_next_method_keeps_the_body_when_it_stays_a_post(
    scripted_server: ScriptedServer, client: AppClient
) -> None:
    scripted_server.reply(200, {"items": [1], "next": "n2"})
    scripted_server.reply(200, {"items": [2]})
    pages = paginator({"type": "cursor", "cursor_path": "next", "param": "cursor", "next_method": "POST"})

    records = fetch_all(client, pages, RenderedRequest("POST", f"{scripted_server.url}/search", json={"q": 1}), "items")

    assert records == [1, 2]
    assert [(r.method, r.json, r.params) for r in scripted_server.requests] == [
        ("POST", {"q": 1}, {}),
        ("POST", {"q": 1}, {"cursor": "n2"}),
    ]


def test_cursor_relative_to_the_base_url_needs_one(scripted_server: ScriptedServer, client: AppClient) -> None:
    scripted_server.reply(200, {"items": [1], "nextPageUrl": "/v3/next"})
    pages = paginator({"type": "cursor", "cursor_path": "nextPageUrl", "relative_to": "base_url"})

    with pytest.raises(ConfigurationError, match="needs a base URL"):
        fetch_all(client, pages, RenderedRequest("GET", f"{scripted_server.url}/items"), "items")


def test_offset_stops_when_a_short_page_arrives(scripted_server: ScriptedServer, client: AppClient) -> None:
    scripted_server.reply(200, orders(1, 2, 3))
    scripted_server.reply(200, orders(4, 5, 6))
    scripted_server.reply(200, orders(7))
    pages = paginator({"type": "offset", "limit": 3})

    records = fetch_all(client, pages, RenderedRequest("GET", f"{scripted_server.url}/orders", {"q": "x"}), "orders")

    assert [r["id"] for r in records] == list(range(1, 8))
    assert [r.params for r in scripted_server.requests] == [
        {"q": "x", "offset": str(offset), "limit": "3"} for offset in (0, 3, 6)
    ]


def test_offset_with_custom_parameter_names(scripted_server: ScriptedServer, client: AppClient) -> None:
    scripted_server.reply(200, orders(1, 2))
    scripted_server.reply(200, orders())
    pages = paginator({"type": "offset", "offset_param": "skip", "limit_param": "take", "limit": 2})

    fetch_all(client, pages, RenderedRequest("GET", f"{scripted_server.url}/orders"), "orders")

    assert [r.params for r in scripted_server.requests] == [{"skip": "0", "take": "2"}, {"skip": "2", "take": "2"}]


def test_no_pagination_is_one_request(scripted_server: ScriptedServer, client: AppClient) -> None:
    scripted_server.reply(200, orders(1, 2, 3), {"Link": f'<{scripted_server.url}/orders?p=2>; rel="next"'})
    pages = paginator(None)
    assert isinstance(pages, SinglePage)

    records = fetch_all(client, pages, RenderedRequest("GET", f"{scripted_server.url}/orders"), "orders")

    assert len(records) == 3
    assert len(scripted_server.requests) == 1


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("", "whole"),
        ("$", "whole"),
        ("meta.total_pages", 3),
        ("$.meta.total_pages", 3),
        ("items.0.sku", "A1"),
        ("items.-1.sku", "B2"),
        ("items.2.sku", None),
        ("@odata.nextLink", "https://example.invalid/next"),
        ("meta.none", None),
        ("meta.none.deeper", None),
        ("missing.x", None),
    ],
)
def test_dig(path: str, expected: Any) -> None:
    document = {
        "meta": {"total_pages": 3, "none": None},
        "items": [{"sku": "A1"}, {"sku": "B2"}],
        "@odata.nextLink": "https://example.invalid/next",
    }
    assert dig(document, path) == (document if expected == "whole" else expected)


def test_dig_prefers_the_plain_step_to_a_dotted_key() -> None:
    assert dig({"a": {"b": 1}, "a.b": 2}, "a.b") == 1
    assert dig({"a": {"c": 1}, "a.b": 2}, "a.b") == 2
    assert dig({"a": 1}, "a.b", default="none") == "none"
