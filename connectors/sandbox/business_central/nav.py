"""Dynamics NAV OData v4 web services under `/nav/{instance}/ODataV4` (`http://server:7048/<Instance>/ODataV4` on
a NAV server): `Company`, and per company the published pages `SalesOrder` (page 42; lines in the
`SalesOrderSalesLines` part, expanded on request; created with its lines in one deep insert) and `Item` (page 30,
with `Inventory`). Page fields are named as OData v4 names page controls (`External_Document_No`); `$filter`,
`$select`, `$top`, `$skip` and paging with `@odata.nextLink` as in Business Central."""

from __future__ import annotations

import copy
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from connectors.sandbox.business_central.context import BusinessCentralContext, not_found, odata_error
from connectors.sandbox.business_central.entities import (
    NAV_ITEM,
    NAV_LINE_WRITES,
    NAV_ORDER_WRITES,
    NAV_SALES_LINE,
    NAV_SALES_ORDER,
    nav_item,
    nav_line,
    nav_sales_order,
)
from connectors.sandbox.business_central.odata import EntityType, collection, expanded
from connectors.sandbox.business_central.store import create_sales_order
from connectors.sandbox.vendor_api import json_body

NAV_PREFIX = "/nav/{instance}/ODataV4"
LINES = "SalesOrderSalesLines"


def _unknown(name: str, entity: EntityType) -> Any:
    return odata_error(400, f"The property '{name}' does not exist on type '{entity.name}'. Make sure to only use "
                       "property names that are defined by the type.")  # fmt: skip


def _translate(body: Any, writes: dict[str, str], entity: EntityType, nested: str | None = None) -> dict[str, Any]:
    """A NAV page body as the store's BC-shaped body (fields outside `writes` are refused, read-only ones too)."""
    if not isinstance(body, dict):
        raise odata_error(400, "The request body must be a JSON object.")
    translated: dict[str, Any] = {}
    for name, value in body.items():
        if name == nested or name.startswith("@odata."):
            continue
        if name not in writes:
            raise _unknown(name, entity)
        translated[writes[name]] = value
    return translated


def _company_name(raw: str) -> str:
    return raw.replace("''", "'")


def nav_router(ctx: BusinessCentralContext) -> APIRouter:
    router, state, config = APIRouter(), ctx.state, ctx.config

    def check_instance(instance: str) -> None:
        if instance != config.nav_instance:
            raise not_found()

    @router.get("/Company")
    def companies(instance: str, request: Request) -> JSONResponse:
        check_instance(instance)
        with state.lock:
            rows = [{"Name": c.name, "Display_Name": c.name, "Id": c.id} for c in ctx.data.nav_companies.values()]
        entity = EntityType("NAV.Company", {"Name": "Edm.String", "Display_Name": "Edm.String", "Id": "Edm.Guid"},
                            key="Name")  # fmt: skip
        return collection(request, rows, entity, config.max_page_size, dict)

    @router.get("/Company('{company}')/SalesOrder")
    def sales_orders(instance: str, company: str, request: Request) -> JSONResponse:
        check_instance(instance)
        with_lines = LINES in expanded(request, NAV_SALES_ORDER, (LINES,))
        with state.lock:
            orders = copy.deepcopy(list(ctx.nav_company(_company_name(company)).sales_orders.values()))

        def show(order: dict[str, Any]) -> dict[str, Any]:
            shown = nav_sales_order(order)
            if with_lines:
                shown[LINES] = [nav_line(order, line) for line in order["salesOrderLines"]]
            return shown

        return collection(request, [show(o) for o in orders], NAV_SALES_ORDER, config.max_page_size, dict)

    @router.post("/Company('{company}')/SalesOrder", status_code=201)
    async def create(instance: str, company: str, request: Request) -> JSONResponse:
        check_instance(instance)
        body = await json_body(request, lambda message: odata_error(400, message))
        header = _translate(body, NAV_ORDER_WRITES, NAV_SALES_ORDER, nested=LINES)
        lines = body.get(LINES) or []
        if not isinstance(lines, list):
            raise odata_error(400, f"{LINES} must be a collection.")
        header["salesOrderLines"] = [_translate(line, NAV_LINE_WRITES, NAV_SALES_LINE) for line in lines]
        with state.lock:
            order = create_sales_order(ctx.nav_company(_company_name(company)), header)
            shown = {**nav_sales_order(order), LINES: [nav_line(order, line) for line in order["salesOrderLines"]]}
        location = f"{str(request.url.replace(query=''))}(Document_Type='Order',No='{order['number']}')"
        return JSONResponse(shown, status_code=201, headers={"Location": location, "ETag": shown["@odata.etag"]})

    @router.get("/Company('{company}')/Item")
    def items(instance: str, company: str, request: Request) -> JSONResponse:
        check_instance(instance)
        with state.lock:
            rows = [nav_item(item) for item in ctx.nav_company(_company_name(company)).items.values()]
        return collection(request, rows, NAV_ITEM, config.max_page_size, dict)

    return router
