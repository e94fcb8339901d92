"""Pagination strategies: given a page's response, the request for the next page (or None)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Protocol
from urllib.parse import urljoin

import requests

from connectors.runtime.http.request import RenderedRequest, join_url, response_body
from connectors.runtime.paths import dig
from connectors.spec.pagination import (
    CursorPaginationSpec,
    GraphQLCursorPaginationSpec,
    LinkHeaderPaginationSpec,
    OffsetPaginationSpec,
    PageNumberPaginationSpec,
    PaginationSpec,
)


class Paginator(Protocol):
    def first(self, request: RenderedRequest) -> RenderedRequest: ...

    def next(
        self, request: RenderedRequest, response: requests.Response, records: list[Any]
    ) -> RenderedRequest | None: ...


class SinglePage:
    def first(self, request: RenderedRequest) -> RenderedRequest:
        return request

    def next(self, request: RenderedRequest, response: requests.Response, records: list[Any]) -> None:
        return None


class LinkHeaderPaginator(SinglePage):
    """The next URL carries its own query (Shopify allows only `page_info` and `limit` on later pages)."""

    def __init__(self, spec: LinkHeaderPaginationSpec) -> None:
        self.spec = spec

    def next(self, request: RenderedRequest, response: requests.Response, records: list[Any]) -> RenderedRequest | None:
        link = response.links.get(self.spec.rel)
        return replace(request, url=link["url"], params={}) if link and link.get("url") else None


class PageNumberPaginator(SinglePage):
    def __init__(self, spec: PageNumberPaginationSpec) -> None:
        self.spec = spec

    def first(self, request: RenderedRequest) -> RenderedRequest:
        params = {**request.params, self.spec.param: self.spec.start}
        if self.spec.size_param and self.spec.size:
            params[self.spec.size_param] = self.spec.size
        return replace(request, params=params)

    def next(self, request: RenderedRequest, response: requests.Response, records: list[Any]) -> RenderedRequest | None:
        if not records:
            return None
        page = int(request.params[self.spec.param])
        total = None
        if self.spec.total_pages_header:
            total = response.headers.get(self.spec.total_pages_header)
        elif self.spec.total_pages_path:
            total = dig(response_body(response), self.spec.total_pages_path)
        if total is not None and page - self.spec.start + 1 >= int(total):
            return None
        if self.spec.total_records_path and self.spec.size:
            records_total = dig(response_body(response), self.spec.total_records_path)
            if records_total is not None and (page - self.spec.start + 1) * self.spec.size >= int(records_total):
                return None  # a page past the end may repeat the last one (Magento) instead of coming back empty
        if self.spec.size and len(records) < self.spec.size:
            return None
        return replace(request, params={**request.params, self.spec.param: page + 1})


class CursorPaginator(SinglePage):
    """The cursor goes in `param`, or is the next URL: absolute, or relative to the page or to `base_url`."""

    def __init__(self, spec: CursorPaginationSpec, base_url: str = "") -> None:
        self.spec, self.base_url = spec, base_url

    def next(self, request: RenderedRequest, response: requests.Response, records: list[Any]) -> RenderedRequest | None:
        body = response_body(response)
        if self.spec.stop_path and not dig(body, self.spec.stop_path):
            return None
        cursor = dig(body, self.spec.cursor_path)
        if not cursor:
            return None
        if self.spec.next_method == "GET":
            request = replace(request, method="GET", json=None, data=None)
        elif self.spec.next_method is not None:
            request = replace(request, method=self.spec.next_method)
        if self.spec.param:
            return replace(request, params={**request.params, self.spec.param: cursor})
        if self.spec.relative_to == "base_url":
            return replace(request, url=join_url(self.base_url, str(cursor)), params={})
        return replace(request, url=urljoin(request.url, str(cursor)), params={})  # absolute, or relative to the page


class OffsetPaginator(SinglePage):
    def __init__(self, spec: OffsetPaginationSpec) -> None:
        self.spec = spec

    def first(self, request: RenderedRequest) -> RenderedRequest:
        return replace(
            request, params={**request.params, self.spec.offset_param: 0, self.spec.limit_param: self.spec.limit}
        )

    def next(self, request: RenderedRequest, response: requests.Response, records: list[Any]) -> RenderedRequest | None:
        if len(records) < self.spec.limit:
            return None
        offset = int(request.params[self.spec.offset_param]) + self.spec.limit
        return replace(request, params={**request.params, self.spec.offset_param: offset})


class GraphQLCursorPaginator(SinglePage):
    """Relay `pageInfo { hasNextPage endCursor }`: the next page is the same operation with the cursor variable set;
    a cursor seen twice is a loop, not a next page."""

    def __init__(self, spec: GraphQLCursorPaginationSpec) -> None:
        self.spec = spec

    def next(self, request: RenderedRequest, response: requests.Response, records: list[Any]) -> RenderedRequest | None:
        page_info = dig(response_body(response), self.spec.page_info_path) or {}
        cursor = page_info.get("endCursor") if isinstance(page_info, dict) else None
        if not page_info.get("hasNextPage") or not cursor:
            return None
        variables = dict(request.json.get("variables") or {})
        if variables.get(self.spec.variable) == cursor:
            raise RuntimeError(f"Loop detected in pagination: cursor {cursor!r} came back")
        variables[self.spec.variable] = cursor
        return replace(request, json={**request.json, "variables": variables})


_PAGINATORS: dict[str, type[Any]] = {
    "link_header": LinkHeaderPaginator,
    "page_number": PageNumberPaginator,
    "cursor": CursorPaginator,
    "offset": OffsetPaginator,
    "graphql_cursor": GraphQLCursorPaginator,
}


def build_paginator(spec: PaginationSpec | None, base_url: str = "") -> Paginator:
    """The paginator for `spec`; `base_url` (the app's) resolves next URLs of a cursor with `relative_to: base_url`."""
    if isinstance(spec, CursorPaginationSpec):
        return CursorPaginator(spec, base_url)
    return SinglePage() if spec is None else _PAGINATORS[spec.type](spec)
