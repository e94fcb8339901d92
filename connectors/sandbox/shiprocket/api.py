"""The `/v1/external` routes the app uses: login, adhoc orders, the order list, AWB assignment, pickups and
tracking by AWB."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from connectors.sandbox.shiprocket.authentication import ShiprocketAuthenticator, shiprocket_error
from connectors.sandbox.shiprocket.shipments import (
    ShiprocketContext,
    assign_awb,
    create_adhoc_order,
    generate_pickup,
    list_orders,
    track,
)
from connectors.sandbox.vendor_api import json_body

MAX_PER_PAGE = 100  # assumption: Shiprocket publishes no maximum


def _bad_json(message: str) -> Any:
    return shiprocket_error(400, message)


def _positive(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name, str(default))
    if not raw.isdigit() or int(raw) < 1:
        raise shiprocket_error(422, "Oops! Invalid Data.", errors={name: [f"The {name} must be at least 1."]})
    return int(raw)


def api_router(ctx: ShiprocketContext, authenticator: ShiprocketAuthenticator) -> APIRouter:
    router = APIRouter()

    @router.post("/auth/login")
    async def login(request: Request) -> dict[str, Any]:
        return authenticator.login(await json_body(request, _bad_json))

    @router.post("/orders/create/adhoc")
    async def create_order(request: Request) -> dict[str, Any]:
        body = await json_body(request, _bad_json)
        with ctx.state.lock:
            return create_adhoc_order(ctx, body)

    @router.get("/orders")
    def orders(request: Request) -> dict[str, Any]:
        page, per_page = _positive(request, "page", 1), min(_positive(request, "per_page", 15), MAX_PER_PAGE)
        base = str(request.url.remove_query_params(["page", "per_page"])).partition("?")[0]
        with ctx.state.lock:
            return list_orders(ctx, request.query_params.get("search", "").strip(), page, per_page, base)

    @router.post("/courier/assign/awb")
    async def assign(request: Request) -> dict[str, Any]:
        body = await json_body(request, _bad_json)
        with ctx.state.lock:
            return assign_awb(ctx, body)

    @router.post("/courier/generate/pickup")
    async def pickup(request: Request) -> dict[str, Any]:
        body = await json_body(request, _bad_json)
        with ctx.state.lock:
            return generate_pickup(ctx, body)

    @router.get("/courier/track/awb/{awb}")
    def track_awb(awb: str) -> dict[str, Any]:
        with ctx.state.lock:
            return track(ctx, awb)

    return router
