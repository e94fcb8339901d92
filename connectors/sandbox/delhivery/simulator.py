"""Delhivery Express simulator: `Authorization: Token <key>` APIs (tracking, shipment creation, pickup requests,
shipping charges), each throttled per IP as Delhivery documents it (tracking 750 calls per 5 minutes, charges 40 a
minute; 429s counted), and the Scan Push webhook (static header chosen by the client, one immediate retry, then
dropped). Control API under `/_sandbox/...`."""

from __future__ import annotations

import copy
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from connectors.sandbox.config import DelhiveryConfig
from connectors.sandbox.delhivery.charges import charges_router
from connectors.sandbox.delhivery.context import DelhiveryContext
from connectors.sandbox.delhivery.control import control_router
from connectors.sandbox.delhivery.manifests import manifest_router
from connectors.sandbox.delhivery.pickups import pickup_router
from connectors.sandbox.delhivery.throttles import TRACKING, throttle
from connectors.sandbox.emission import WebhookSender
from connectors.sandbox.faults import install_faults
from connectors.sandbox.state import SandboxState
from connectors.sandbox.vendor_api import install_error_handlers

GUARDED = ("/api/", "/fm/")  # the paths that need the API token


def build_delhivery(config: DelhiveryConfig, state: SandboxState, sender: WebhookSender) -> FastAPI:
    ctx = DelhiveryContext(config, state, sender)
    app = FastAPI(title="Delhivery sandbox", docs_url="/_sandbox/docs", openapi_url="/_sandbox/openapi.json")
    install_error_handlers(app, lambda status, detail: {"detail": detail})
    state.on_reset("delhivery", lambda s: s.delhivery.webhook.update(_default_webhook(config)))

    @app.middleware("http")
    async def token_gate(request: Request, call_next: Any) -> Response:
        if "/_sandbox/" in request.url.path or not any(part in request.url.path for part in GUARDED):
            return await call_next(request)
        scheme, _, key = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Token" or not key:
            return _unauthorized("Authentication credentials were not provided.")
        if key.strip() != config.api_token:
            return _unauthorized("Invalid token.")
        return await call_next(request)

    @app.get("/api/v1/packages/json/")
    def track(request: Request) -> dict[str, Any]:
        throttle(ctx, request, TRACKING)  # per IP, not per token
        wanted = [w.strip() for w in request.query_params.get("waybill", "").split(",") if w.strip()]
        refs = [r.strip() for r in request.query_params.get("ref_ids", "").split(",") if r.strip()]
        with state.lock:
            found = [s for awb, s in state.delhivery.shipments.items() if awb in wanted or s["ReferenceNo"] in refs]
            found = copy.deepcopy(found)
        if not found:
            return {"Error": "No such waybill or Order Id found"}
        return {"ShipmentData": [{"Shipment": shipment} for shipment in found]}

    install_faults(app, state, "delhivery", lambda status, detail: {"detail": detail})
    for router in (manifest_router(ctx), pickup_router(ctx), charges_router(ctx)):
        app.include_router(router)
    app.include_router(control_router(ctx), prefix="/_sandbox")
    return app


def _default_webhook(config: DelhiveryConfig) -> dict[str, Any]:
    return {"url": config.webhook_url, "header": config.webhook_header, "token": config.webhook_token}


def _unauthorized(detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=401, headers={"WWW-Authenticate": "Token"})
