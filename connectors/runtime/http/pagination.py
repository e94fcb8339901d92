"""Pagination strategies: given a page's response, the request for the next page (or None)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Protocol
from urllib.parse import urljoin

import requests

from connectors.runtime.http.request import RenderedRequest, response_body
from connectors.runtime.paths import dig
from connectors.spec.pagination import (
    CursorPaginationSpec,
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
        if self.spec.size and len(records) < self.spec.size:
            return None
        return replace(request, params={**request.params, self.spec.param: page + 1})


class CursorPaginator(SinglePage):
    def __init__(self, spec: CursorPaginationSpec) -> None:
        self.spec = spec

    def next(self, request: RenderedRequest, response: requests.Response, records: list[Any]) -> RenderedRequest | None:
        body = response_body(response)
        if self.spec.stop_path and not dig(body, self.spec.stop_path):
            return None
        cursor = dig(body, self.spec.cursor_path)
        if not cursor:
            return None
        if self.spec.param:
            return replace(request, params={**request.params, self.spec.param: cursor})
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


_PAGINATORS: dict[str, type[Any]] = {
    "link_header": LinkHeaderPaginator,
    "page_number": PageNumberPaginator,
    "cursor": CursorPaginator,
    "offset": OffsetPaginator,
}


def build_paginator(spec: PaginationSpec | None) -> Paginator:
    return SinglePage() if spec is None else _PAGINATORS[spec.type](spec)
