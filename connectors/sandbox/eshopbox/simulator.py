"""Eshopbox simulator: `generateToken` (`tokens`), bearer-protected WMS and platform APIs with an optional per-client
request-rate limit (Eshopbox documents none, so it is off unless configured; 429s counted), and the control API.
Paths under the mount: `/auth/...`, `/wms/api/...`, `/platform/api/...`, `/_sandbox/...`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from connectors.sandbox.config import EshopboxConfig
from connectors.sandbox.emission import WebhookSender
from connectors.sandbox.eshopbox.context import EshopboxContext
from connectors.sandbox.eshopbox.control import control_router
from connectors.sandbox.eshopbox.platform_api import platform_router
from connectors.sandbox.eshopbox.tokens import auth_router, verify_bearer
from connectors.sandbox.eshopbox.wms import wms_router
from connectors.sandbox.faults import install_faults
from connectors.sandbox.state import SandboxState
from connectors.sandbox.throttling import LeakyBucket, retry_after_seconds
from connectors.sandbox.vendor_api import install_error_handlers

PROTECTED = ("/wms/", "/platform/")
API_SCOPE = "api"  # the Throttle scope of the WMS and platform APIs, one bucket per client id


def build_eshopbox(config: EshopboxConfig, state: SandboxState, sender: WebhookSender) -> FastAPI:
    ctx = EshopboxContext(config, state, sender)
    app = FastAPI(title="Eshopbox sandbox", docs_url="/_sandbox/docs", openapi_url="/_sandbox/openapi.json")
    install_error_handlers(app, lambda status, detail: {"message": detail})

    def throttled(client: str) -> JSONResponse | None:
        """The 429 to answer when `client` is over the API limit (none while the limit is off)."""
        rate = config.api_requests_per_second
        if rate is None:
            return None
        with state.lock:
            allowed, bucket = state.eshopbox.throttle.admit(
                API_SCOPE, client, lambda: LeakyBucket(config.api_burst, rate)
            )
            wait = retry_after_seconds(bucket)
        if allowed:
            return None
        body = {"message": "Too many requests, please try again later.", "error": "Too Many Requests"}
        return JSONResponse(body, status_code=429, headers={"Retry-After": wait})

    @app.middleware("http")
    async def bearer_gate(request: Request, call_next: Any) -> Response:
        path = request.url.path
        if any(part in path for part in PROTECTED) and "/_sandbox/" not in path:
            client, problem = verify_bearer(config, request.headers.get("Authorization"))
            if problem or client is None:
                return JSONResponse({"message": problem, "error": "Unauthorized"}, status_code=401)
            refusal = throttled(client)
            if refusal is not None:
                return refusal
        return await call_next(request)

    install_faults(app, state, "eshopbox", lambda status, detail: {"message": detail})
    app.include_router(auth_router(ctx), prefix="/auth")
    app.include_router(wms_router(ctx), prefix="/wms/api")
    app.include_router(platform_router(ctx), prefix="/platform/api")
    app.include_router(control_router(ctx), prefix="/_sandbox")
    return app
