"""Flipkart Marketplace Seller API simulator, mounted so that `{mount}` is `https://api.flipkart.net`: the OAuth
service at `{mount}/oauth-service` (`tokens`), the Seller API at `{mount}/sellers` behind a bearer check (401 in the
OAuth service's shape) and an optional per-app request-rate limit (Flipkart publishes none, so it is off unless
configured; 429 with `Retry-After`, counted), shipments v3 (`shipments`), listings inventory (`listings`) and the
control API at `{mount}/_sandbox` (`control`)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from connectors.sandbox.config import FlipkartConfig
from connectors.sandbox.emission import WebhookSender
from connectors.sandbox.faults import install_faults
from connectors.sandbox.flipkart.context import FlipkartContext
from connectors.sandbox.flipkart.control import control_router, seed_listings
from connectors.sandbox.flipkart.listings import listings_router
from connectors.sandbox.flipkart.shipments import shipments_router
from connectors.sandbox.flipkart.tokens import oauth_router, verify_bearer
from connectors.sandbox.state import SandboxState
from connectors.sandbox.throttling import LeakyBucket, retry_after_seconds
from connectors.sandbox.vendor_api import install_error_handlers

API_PREFIX = "/sellers"
API_SCOPE = "api"  # the Throttle scope of the Seller API, one bucket per app id
THROTTLED = {"errors": [{"severity": "ERROR", "code": 429, "description": "Too many requests, retry after a while"}]}


def _shape(status: int, detail: str) -> dict[str, Any]:
    return {"errors": [{"severity": "ERROR", "code": status, "description": detail}]}


def build_flipkart(config: FlipkartConfig, state: SandboxState, sender: WebhookSender) -> FastAPI:
    ctx = FlipkartContext(config, state, sender)
    app = FastAPI(title="Flipkart sandbox", docs_url="/_sandbox/docs", openapi_url="/_sandbox/openapi.json")
    install_error_handlers(app, _shape)

    def throttled(app_id: str) -> JSONResponse | None:
        rate = config.api_requests_per_second
        if rate is None:
            return None
        with state.lock:
            allowed, bucket = state.flipkart.throttle.admit(
                API_SCOPE, app_id, lambda: LeakyBucket(config.api_burst, rate)
            )
            wait = retry_after_seconds(bucket)
        return None if allowed else JSONResponse(THROTTLED, status_code=429, headers={"Retry-After": wait})

    @app.middleware("http")
    async def bearer_gate(request: Request, call_next: Any) -> Response:
        root = request.scope.get("root_path", "")
        path = request.scope["path"].removeprefix(root)
        if not path.startswith(API_PREFIX + "/"):
            return await call_next(request)
        app_id, problem = verify_bearer(config, state, request.headers.get("Authorization"))
        if app_id is None:
            error = "unauthorized" if problem.startswith("Full") else "invalid_token"
            return JSONResponse({"error": error, "error_description": problem}, status_code=401,
                                headers={"WWW-Authenticate": f'Bearer error="{error}"'})  # fmt: skip
        return throttled(app_id) or await call_next(request)

    install_faults(app, state, "flipkart", _shape)
    app.include_router(oauth_router(ctx), prefix="/oauth-service")
    app.include_router(shipments_router(ctx), prefix=API_PREFIX)
    app.include_router(listings_router(ctx), prefix=API_PREFIX)
    app.include_router(control_router(ctx), prefix="/_sandbox")
    state.on_reset("flipkart", seed_listings(config.location_id))
    return app
