"""The `/rest/<store code>/V1` routes the apps use: the admin token, orders and shipments searched with
`searchCriteria`, `ship`, and MSI source items."""

from __future__ import annotations

import copy
from typing import Any

from fastapi import APIRouter, Request

from connectors.sandbox.magento.authentication import MagentoAuthenticator, magento_error
from connectors.sandbox.magento.search_criteria import SearchCriteria
from connectors.sandbox.magento.store import NOT_FOUND, MagentoContext, save_source_items, ship_order
from connectors.sandbox.vendor_api import json_body

# The ACL resource each route needs: named in the 401 Magento answers without a valid token.
RESOURCES = {
    "/V1/orders": "Magento_Sales::actions_view",
    "/V1/order/": "Magento_Sales::ship",
    "/V1/shipments": "Magento_Sales::shipment",
    "/V1/inventory/source-items": "Magento_InventoryApi::source_item",
}
TOKEN_PATH = "/V1/integration/admin/token"


def resource_for(path: str) -> str:
    """The ACL resource of a path under `/rest/<store>` (anything unknown: the orders' one)."""
    return next((acl for prefix, acl in RESOURCES.items() if path.startswith(prefix)), "Magento_Sales::actions_view")


def _bad_body(message: str) -> Any:
    return magento_error(400, "Decoding error: %1", **{"1": message})


def rest_router(ctx: MagentoContext, authenticator: MagentoAuthenticator) -> APIRouter:
    router = APIRouter()
    data = lambda: ctx.state.magento  # noqa: E731 (replaced on reset: read it under the lock)

    @router.post(TOKEN_PATH)
    async def admin_token(request: Request) -> str:
        return authenticator.issue_admin_token(await json_body(request, _bad_body))

    def search(request: Request, records: Any) -> dict[str, Any]:
        criteria = SearchCriteria.from_query(dict(request.query_params.items()))
        with ctx.state.lock:
            return copy.deepcopy(criteria.search(list(records())))

    @router.get("/V1/orders")
    def list_orders(request: Request) -> dict[str, Any]:
        return search(request, lambda: data().orders.values())

    @router.get("/V1/orders/{order_id}")
    def get_order(order_id: int) -> dict[str, Any]:
        with ctx.state.lock:
            return copy.deepcopy(ctx.order(order_id))

    @router.post("/V1/order/{order_id}/ship")
    async def ship(order_id: int, request: Request) -> int:
        body = await json_body(request, _bad_body, optional=True)
        with ctx.state.lock:
            return int(ship_order(ctx, order_id, body if isinstance(body, dict) else {})["entity_id"])

    @router.get("/V1/shipments")
    def list_shipments(request: Request) -> dict[str, Any]:
        return search(request, lambda: data().shipments.values())

    @router.get("/V1/shipment/{shipment_id}")
    def get_shipment(shipment_id: int) -> dict[str, Any]:
        with ctx.state.lock:
            shipment = data().shipments.get(shipment_id)
            if shipment is None:
                raise magento_error(404, NOT_FOUND)
            return copy.deepcopy(shipment)

    @router.post("/V1/inventory/source-items")
    async def set_source_items(request: Request) -> list[Any]:
        body = await json_body(request, _bad_body)
        with ctx.state.lock:
            save_source_items(ctx, body)
        return []

    @router.get("/V1/inventory/source-items")
    def list_source_items(request: Request) -> dict[str, Any]:
        return search(request, lambda: data().source_items.values())

    return router
