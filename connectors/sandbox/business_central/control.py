"""Business Central / NAV sandbox control API (`/business_central/_sandbox/...`): inspect and reset state, expire
access tokens and Digest nonces, and act as a user of the ERP would: enter a sales order, post its shipment, set an
item's inventory. `{where}` is `companies/{company id}` (BC online) or `nav/companies/{company name}` (NAV)."""

from __future__ import annotations

import copy
import time
from typing import Any

from fastapi import APIRouter, Request

from connectors.sandbox.business_central.context import BusinessCentralContext, not_found, odata_error
from connectors.sandbox.business_central.data import Company
from connectors.sandbox.business_central.store import add_item, create_sales_order, ship_order, stamp
from connectors.sandbox.timestamps import iso_z, parse_time
from connectors.sandbox.vendor_api import json_body


def _bad(message: str) -> Any:
    return odata_error(400, message)


def _summary(company: Company) -> dict[str, Any]:
    return copy.deepcopy({"id": company.id, "name": company.name, "customers": list(company.customers.values()),
                          "items": list(company.items.values()), "sales_orders": list(company.sales_orders.values()),
                          "sales_shipments": list(company.sales_shipments.values())})  # fmt: skip


def _moved_to(record: dict[str, Any], at: Any) -> None:
    """Backdate or postdate a record's `lastModifiedDateTime` (tests place records in a polling window)."""
    if at:
        try:
            record["lastModifiedDateTime"] = iso_z(parse_time(at))
        except (TypeError, ValueError):
            raise _bad(f"'{at}' is not a date and time") from None


def control_router(ctx: BusinessCentralContext) -> APIRouter:
    router, state = APIRouter(), ctx.state

    def company_of(kind: str, key: str) -> Company:
        found = (ctx.data.companies if kind == "companies" else ctx.data.nav_companies).get(key)
        if found is None:
            raise not_found()
        return found

    @router.get("/state")
    def snapshot() -> dict[str, Any]:
        with state.lock:
            data = ctx.data
            return {
                "companies": {key: _summary(c) for key, c in data.companies.items()},
                "nav_companies": {key: _summary(c) for key, c in data.nav_companies.items()},
                "token_calls": data.token_calls, "digest_challenges": data.digest_challenges,
                **data.throttle.stats(),
            }  # fmt: skip

    @router.post("/reset")
    def reset() -> dict[str, Any]:
        state.reset("business_central")
        return {"reset": "business_central"}

    @router.post("/expire_tokens")
    def expire_tokens() -> dict[str, Any]:
        """Every access token issued until now is refused (401) from now on."""
        with state.lock:
            ctx.data.tokens_valid_after = time.time()
            return {"expired_before": ctx.data.tokens_valid_after}

    @router.post("/nav/expire_nonces")
    def expire_nonces() -> dict[str, Any]:
        """Every Digest nonce issued until now is stale from now on (answered with `stale=TRUE`)."""
        with state.lock:
            ctx.data.nonces_valid_after = time.time()
            return {"stale_before": ctx.data.nonces_valid_after}

    for prefix, kind in (("/companies/{key}", "companies"), ("/nav/companies/{key}", "nav_companies")):
        _company_routes(router, ctx, prefix, kind, company_of)
    return router


def _company_routes(router: APIRouter, ctx: BusinessCentralContext, prefix: str, kind: str, company_of: Any) -> None:
    state = ctx.state

    @router.post(f"{prefix}/salesOrders", status_code=201, name=f"{kind}_enter_order")
    async def enter_order(key: str, request: Request) -> dict[str, Any]:
        """Body: a BC API salesOrder (with `salesOrderLines`), and optionally `lastModifiedDateTime`."""
        body = await json_body(request, _bad)
        at = body.pop("lastModifiedDateTime", None) if isinstance(body, dict) else None
        with state.lock:
            order = create_sales_order(company_of(kind, key), body)
            _moved_to(order, at)
            return copy.deepcopy(order)

    @router.post(f"{prefix}/salesOrders/{{number}}/ship", status_code=201, name=f"{kind}_ship_order")
    async def ship(key: str, number: str, request: Request) -> dict[str, Any]:
        """Post the shipment of what is left to ship; body (optional): `lastModifiedDateTime`, `shipmentDate`."""
        body = await json_body(request, _bad, optional=True)
        with state.lock:
            company = company_of(kind, key)
            order = next((o for o in company.sales_orders.values() if number in (o["number"], o["id"])), None)
            if order is None:
                raise not_found()
            shipment = ship_order(company, order, body.get("shipmentDate"))
            _moved_to(shipment, body.get("lastModifiedDateTime"))
            _moved_to(order, body.get("lastModifiedDateTime"))
            return copy.deepcopy(shipment)

    @router.post(f"{prefix}/items", name=f"{kind}_set_item")
    async def set_item(key: str, request: Request) -> dict[str, Any]:
        """Body: {number, displayName?, unitPrice?, inventory}: adds the item or sets its inventory."""
        body = await json_body(request, _bad)
        if not isinstance(body, dict) or not body.get("number"):
            raise _bad("number is required")
        with state.lock:
            company = company_of(kind, key)
            item = company.items.get(str(body["number"]))
            if item is None:
                item = add_item(company, str(body["number"]), str(body.get("displayName", body["number"])),
                                float(body.get("unitPrice", 0)), float(body.get("inventory", 0)))  # fmt: skip
            else:
                item["inventory"] = float(body.get("inventory", item["inventory"]))
            _moved_to(item, body.get("lastModifiedDateTime") or stamp())
            return copy.deepcopy(item)
