"""Pagination blocks, named as Airbyte's paginators are."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from connectors.spec.base import SpecModel


class LinkHeaderPaginationSpec(SpecModel):
    """Follow the `Link: <url>; rel="next"` header (Shopify, WooCommerce)."""

    type: Literal["link_header"]
    rel: str = "next"


class PageNumberPaginationSpec(SpecModel):
    """`?page=N`; stop at the total-pages header or body value, or on an empty page."""

    type: Literal["page_number"]
    param: str = "page"
    start: int = 1
    size_param: str | None = None
    size: int | None = Field(default=None, gt=0)
    total_pages_header: str | None = None
    total_pages_path: str | None = None


class CursorPaginationSpec(SpecModel):
    """A next token or next URL in the body (`NextToken`, `nextPageUrl`, `@odata.nextLink`)."""

    type: Literal["cursor"]
    cursor_path: str = Field(description="Dotted path of the cursor in the response body.")
    param: str | None = Field(default=None, description="Query parameter carrying the cursor; none = it is a URL.")
    stop_path: str | None = Field(default=None, description="Boolean body value that is false on the last page.")


class OffsetPaginationSpec(SpecModel):
    type: Literal["offset"]
    offset_param: str = "offset"
    limit_param: str = "limit"
    limit: int = Field(default=100, gt=0)


PaginationSpec = Annotated[
    LinkHeaderPaginationSpec | PageNumberPaginationSpec | CursorPaginationSpec | OffsetPaginationSpec,
    Field(discriminator="type"),
]
