"""The ClickPost routes the app uses: order creation and its fetch (v3), AWB registration (v3) and tracking (v2)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from connectors.sandbox.clickpost.authentication import clickpost_error
from connectors.sandbox.clickpost.orders import create_order, fetch_order
from connectors.sandbox.clickpost.tracking import ClickPostContext, register_awb, track
from connectors.sandbox.vendor_api import VendorError, json_body


def _bad_json(message: str) -> VendorError:
    return clickpost_error(400, 328, f"Invalid POST data: {message}")


def api_router(ctx: ClickPostContext) -> APIRouter:
    router = APIRouter()

    @router.post("/api/v3/create-order/")
    async def create(request: Request) -> dict[str, Any]:
        body = await json_body(request, _bad_json)
        with ctx.state.lock:
            return create_order(ctx, body)

    @router.get("/api/v3/create-order/")
    def fetch(request: Request) -> dict[str, Any]:
        query = request.query_params
        with ctx.state.lock:
            return fetch_order(ctx, query.get("reference_number", ""), query.get("awb", ""), query.get("cp_id", ""))

    @router.post("/api/v3/tracking/awb-register/")
    async def register(request: Request) -> dict[str, Any]:
        body = await json_body(request, _bad_json)
        with ctx.state.lock:
            return register_awb(ctx, body)

    @router.get("/api/v2/track-order/")
    def track_order(request: Request) -> dict[str, Any]:
        query = request.query_params
        with ctx.state.lock:
            return track(ctx, query.get("waybill", ""), query.get("cp_id", ""))

    return router
