"""Delhivery Express simulator: `Authorization: Token <key>` tracking API, throttled as Delhivery documents it (750
calls per 5 minutes per IP; 429 counted), and the Scan Push webhook (static header chosen by the client, one
immediate retry, then dropped). Control API under `/_sandbox/...`."""

from __future__ import annotations

import copy
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from connectors.sandbox.config import DelhiveryConfig
from connectors.sandbox.delhivery.context import DelhiveryContext
from connectors.sandbox.delhivery.control import control_router
from connectors.sandbox.emission import WebhookSender
from connectors.sandbox.faults import install_faults
from connectors.sandbox.state import SandboxState
from connectors.sandbox.throttling import SlidingWindow, retry_after_seconds
from connectors.sandbox.vendor_api import VendorError, install_error_handlers

TRACKING_SCOPE = "tracking"


def build_delhivery(config: DelhiveryConfig, state: SandboxState, sender: WebhookSender) -> FastAPI:
    ctx = DelhiveryContext(config, state, sender)
    app = FastAPI(title="Delhivery sandbox", docs_url="/_sandbox/docs", openapi_url="/_sandbox/openapi.json")
    install_error_handlers(app, lambda status, detail: {"detail": detail})
    state.on_reset("delhivery", lambda s: s.delhivery.webhook.update(_default_webhook(config)))

    @app.middleware("http")
    async def token_gate(request: Request, call_next: Any) -> Response:
        if "/_sandbox/" in request.url.path or "/api/" not in request.url.path:
            return await call_next(request)
        scheme, _, key = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Token" or not key:
            return _unauthorized("Authentication credentials were not provided.")
        if key.strip() != config.api_token:
            return _unauthorized("Invalid token.")
        return await call_next(request)

    def throttle_tracking(request: Request) -> None:
        """Delhivery throttles tracking per IP, not per token; refusals look like its other (DRF-style) errors."""
        if config.tracking_rate_limit is None:
            return
        limit, window = config.tracking_rate_limit, config.tracking_rate_window
        client = request.client.host if request.client else "unknown"
        with state.lock:
            allowed, calls = state.delhivery.throttle.admit(
                TRACKING_SCOPE, client, lambda: SlidingWindow(limit, window)
            )
            wait = retry_after_seconds(calls)
        if not allowed:
            detail = f"Request was throttled. Expected available in {wait} seconds."
            raise VendorError(429, {"detail": detail}, {"Retry-After": wait})

    @app.get("/api/v1/packages/json/")
    def track(request: Request) -> dict[str, Any]:
        throttle_tracking(request)
        wanted = [w.strip() for w in request.query_params.get("waybill", "").split(",") if w.strip()]
        refs = [r.strip() for r in request.query_params.get("ref_ids", "").split(",") if r.strip()]
        with state.lock:
            found = [s for awb, s in state.delhivery.shipments.items() if awb in wanted or s["ReferenceNo"] in refs]
            found = copy.deepcopy(found)
        if not found:
            return {"Error": "No such waybill or Order Id found"}
        return {"ShipmentData": [{"Shipment": shipment} for shipment in found]}

    install_faults(app, state, "delhivery", lambda status, detail: {"detail": detail})
    app.include_router(control_router(ctx), prefix="/_sandbox")
    return app


def _default_webhook(config: DelhiveryConfig) -> dict[str, Any]:
    return {"url": config.webhook_url, "header": config.webhook_header, "token": config.webhook_token}


def _unauthorized(detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=401, headers={"WWW-Authenticate": "Token"})
