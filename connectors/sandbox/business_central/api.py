"""Business Central API v2.0 under `/v2.0/{tenant}/{environment}/api/v2.0`: `companies`, and per company
`salesOrders` (read with `$filter`, `$expand=salesOrderLines`, paging; created with their `salesOrderLines` in one
deep insert, 201 with a `Location`), `salesOrders({id})/salesOrderLines`, `items` (with `inventory`) and
`salesShipments` (`$expand=salesShipmentLines`). Records carry `@odata.etag`."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from connectors.sandbox.business_central.context import BusinessCentralContext, not_found, odata_error
from connectors.sandbox.business_central.data import Company
from connectors.sandbox.business_central.entities import ITEM, SALES_ORDER, SALES_ORDER_LINE, SALES_SHIPMENT
from connectors.sandbox.business_central.odata import EntityType, collection, expanded, select
from connectors.sandbox.business_central.store import create_sales_order, with_etag
from connectors.sandbox.vendor_api import json_body

API_PREFIX = "/v2.0/{tenant}/{environment}/api/v2.0"
LINES = {"salesOrders": "salesOrderLines", "salesShipments": "salesShipmentLines"}


def _shown(request: Request, entity: EntityType, navigation: str | None) -> Callable[[dict[str, Any]], Any]:
    """How a record is shown: with its etag, and its lines only when `$expand` asks for them."""
    wanted = expanded(request, entity, (navigation,) if navigation else ())

    def show(record: dict[str, Any]) -> dict[str, Any]:
        shown = with_etag(record)
        if navigation and navigation not in wanted:
            shown.pop(navigation, None)
        return shown

    return show


def _bad(message: str) -> Any:
    return odata_error(400, message)


def bc_router(ctx: BusinessCentralContext) -> APIRouter:
    router, state, config = APIRouter(), ctx.state, ctx.config

    def entity_set(company: Company, name: str) -> dict[str, dict[str, Any]]:
        return {"salesOrders": company.sales_orders, "items": company.items,
                "salesShipments": company.sales_shipments}[name]  # fmt: skip

    @router.get("/companies")
    def companies(request: Request) -> JSONResponse:
        with state.lock:
            rows = [{"id": c.id, "systemVersion": "25.0.0.0", "name": c.name, "displayName": c.name,
                     "businessProfileId": ""} for c in ctx.data.companies.values()]  # fmt: skip
        entity = EntityType("Microsoft.NAV.company", dict.fromkeys(rows[0] if rows else (), "Edm.String"), key="name")
        return collection(request, rows, entity, config.max_page_size, dict)

    def listing(name: str, entity: EntityType) -> None:
        @router.get(f"/companies({{company_id}})/{name}", name=f"list_{name}")
        def list_records(company_id: str, request: Request) -> JSONResponse:
            show = _shown(request, entity, LINES.get(name))
            with state.lock:
                records = copy.deepcopy(list(entity_set(ctx.company(company_id), name).values()))
            return collection(request, records, entity, config.max_page_size, show)

        @router.get(f"/companies({{company_id}})/{name}({{record_id}})", name=f"get_{name}")
        def get_record(company_id: str, record_id: str, request: Request) -> dict[str, Any]:
            show = _shown(request, entity, LINES.get(name))
            with state.lock:
                records = entity_set(ctx.company(company_id), name).values()
                record = next((r for r in records if r["id"] == record_id), None)
                if record is None:
                    raise not_found()
                return select(show(record), request, entity)

    for name, entity in (("salesOrders", SALES_ORDER), ("items", ITEM), ("salesShipments", SALES_SHIPMENT)):
        listing(name, entity)

    @router.get("/companies({company_id})/salesOrders({order_id})/salesOrderLines")
    def order_lines(company_id: str, order_id: str, request: Request) -> JSONResponse:
        with state.lock:
            order = ctx.company(company_id).sales_orders.get(order_id)
            if order is None:
                raise not_found()
            lines = copy.deepcopy(order["salesOrderLines"])
        return collection(request, lines, SALES_ORDER_LINE, config.max_page_size, dict)

    @router.post("/companies({company_id})/salesOrders", status_code=201)
    async def create(company_id: str, request: Request) -> JSONResponse:
        body = await json_body(request, _bad)
        show = _shown(request, SALES_ORDER, "salesOrderLines")
        with state.lock:
            order = create_sales_order(ctx.company(company_id), body)
            shown = show(order)
        location = str(request.url.replace(query="")) + f"({order['id']})"
        return JSONResponse(shown, status_code=201, headers={"Location": location, "ETag": shown["@odata.etag"]})

    return router
