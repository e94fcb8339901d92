"""Shiprocket simulator: the API user's login and 10-day bearer JWT (401 once expired), adhoc orders (422 for a
reused order_id), AWBs, pickups and tracking under `/v1/external`, its bare 429 when the (configured) rate limit is
hit, and status pushes to the account's webhook with the optional `x-api-key`. Control API under `/_sandbox/...`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from connectors.sandbox.emission import WebhookSender
from connectors.sandbox.faults import install_faults
from connectors.sandbox.shiprocket.api import api_router
from connectors.sandbox.shiprocket.authentication import LOGIN_PATH, ShiprocketAuthenticator
from connectors.sandbox.shiprocket.control import control_router
from connectors.sandbox.shiprocket.settings import ShiprocketConfig
from connectors.sandbox.shiprocket.shipments import ShiprocketContext
from connectors.sandbox.state import SandboxState
from connectors.sandbox.throttling import LeakyBucket
from connectors.sandbox.vendor_api import VendorError, install_error_handlers

API = "/v1/external"
RATE_LIMITED = {"message": "You have exceeded the API call rate limit", "status_code": 429}


def _shape(status: int, detail: str) -> dict[str, Any]:
    return {"message": "Not Found" if status == 404 else detail, "status_code": status}


def _api_path(request: Request) -> str | None:
    root, path = request.scope.get("root_path", ""), request.scope["path"]
    path = path.removeprefix(root) if root and path.startswith(root) else path
    return path if path.startswith(API + "/") else None


def build_shiprocket(config: ShiprocketConfig, state: SandboxState, sender: WebhookSender) -> FastAPI:
    ctx = ShiprocketContext(config, state)
    authenticator = ShiprocketAuthenticator(config, state)
    app = FastAPI(title="Shiprocket sandbox", docs_url="/_sandbox/docs", openapi_url="/_sandbox/openapi.json")
    install_error_handlers(app, _shape)
    state.on_reset("shiprocket", lambda s: s.shiprocket.webhook.update(
        {"url": config.webhook_url, "token": config.webhook_token}))  # fmt: skip

    @app.middleware("http")
    async def authenticate(request: Request, call_next: Any) -> Response:
        path = _api_path(request)
        if path is None or path == LOGIN_PATH:
            return await call_next(request)
        try:
            user = authenticator.authenticate(request.headers)
        except VendorError as refused:
            return JSONResponse(refused.body, status_code=refused.status)
        if not _admitted(user):
            return JSONResponse(RATE_LIMITED, status_code=429)  # bare: no Retry-After, no limit headers
        return await call_next(request)

    def _admitted(user: str) -> bool:
        if config.api_requests_per_second is None:
            return True
        rate, burst = config.api_requests_per_second, config.api_burst
        with state.lock:
            allowed, _ = state.shiprocket.throttle.admit("api", user, lambda: LeakyBucket(burst, rate))
        return allowed

    install_faults(app, state, "shiprocket", _shape)
    app.include_router(api_router(ctx, authenticator), prefix=API)
    app.include_router(control_router(ctx, authenticator, sender), prefix="/_sandbox")
    return app
