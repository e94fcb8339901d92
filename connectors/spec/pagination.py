"""Pagination blocks, named as Airbyte's paginators are."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

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
    total_records_path: str | None = Field(
        default=None,
        description="Dotted body path of the total number of matching records; paging stops once `size` per page "
        "has covered it. For APIs that answer a page past the end with the last page again (Magento's "
        "`total_count`), where an empty page never comes. Needs `size`.",
        examples=["total_count"],
    )

    @model_validator(mode="after")
    def _total_records_needs_a_page_size(self) -> PageNumberPaginationSpec:
        if self.total_records_path and not self.size:
            raise ValueError("total_records_path needs 'size' (the page size it divides the total by)")
        return self


class CursorPaginationSpec(SpecModel):
    """A next token or next URL in the body (`NextToken`, `nextPageUrl`, `@odata.nextLink`)."""

    type: Literal["cursor"]
    cursor_path: str = Field(description="Dotted path of the cursor in the response body.")
    param: str | None = Field(default=None, description="Query parameter carrying the cursor; none = it is a URL.")
    stop_path: str | None = Field(default=None, description="Boolean body value that is false on the last page.")
    next_method: Literal["GET", "POST"] | None = Field(
        default=None,
        description="Method of the next-page requests; none = the first page's. GET sends no body: Flipkart's "
        "`POST /v3/shipments/filter` continues with `GET nextPageUrl`.",
    )
    relative_to: Literal["page", "base_url"] = Field(
        default="page",
        description="What a relative next URL is resolved against: the page's URL (as a browser would) or the app's "
        "base URL, the path appended to it (Flipkart's `/v3/...` under `https://api.flipkart.net/sellers`).",
    )


class GraphQLCursorPaginationSpec(SpecModel):
    """Relay connections: while `pageInfo.hasNextPage`, ask again with the `after` variable set to `endCursor`."""

    type: Literal["graphql_cursor"]
    page_info_path: str = Field(
        description="Dotted path of the connection's `pageInfo { hasNextPage endCursor }` in the response body.",
        examples=["data.orders.pageInfo"],
    )
    variable: str = Field(default="after", description="The GraphQL variable that carries the cursor.")


class OffsetPaginationSpec(SpecModel):
    type: Literal["offset"]
    offset_param: str = "offset"
    limit_param: str = "limit"
    limit: int = Field(default=100, gt=0)


PaginationSpec = Annotated[
    LinkHeaderPaginationSpec
    | PageNumberPaginationSpec
    | CursorPaginationSpec
    | OffsetPaginationSpec
    | GraphQLCursorPaginationSpec,
    Field(discriminator="type"),
]
