"""ClickPost simulator: `username` + `key` query-parameter auth (401 with `meta.status` 301 when wrong), order
creation (323 for an order placed before), AWB registration and tracking, the (configured) rate limit's 429, and
status webhooks to the account's URL with its `webhook_key` header. Control API under `/_sandbox/...`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from connectors.sandbox.clickpost.api import api_router
from connectors.sandbox.clickpost.authentication import authenticate, envelope
from connectors.sandbox.clickpost.control import control_router
from connectors.sandbox.clickpost.settings import ClickPostConfig
from connectors.sandbox.clickpost.tracking import ClickPostContext
from connectors.sandbox.emission import WebhookSender
from connectors.sandbox.faults import install_faults
from connectors.sandbox.state import SandboxState
from connectors.sandbox.throttling import LeakyBucket, retry_after_seconds
from connectors.sandbox.vendor_api import VendorError, install_error_handlers


def _shape(status: int, detail: str) -> dict[str, Any]:
    return envelope(status, detail, None)


def _api_path(request: Request) -> str | None:
    root, path = request.scope.get("root_path", ""), request.scope["path"]
    path = path.removeprefix(root) if root and path.startswith(root) else path
    return path if path.startswith("/api/") else None


def build_clickpost(config: ClickPostConfig, state: SandboxState, sender: WebhookSender) -> FastAPI:
    ctx = ClickPostContext(config, state)
    app = FastAPI(title="ClickPost sandbox", docs_url="/_sandbox/docs", openapi_url="/_sandbox/openapi.json")
    install_error_handlers(app, _shape)
    state.on_reset("clickpost", lambda s: s.clickpost.webhook.update(
        {"url": config.webhook_url, "key": config.webhook_key, "mode": "all", "events": []}))  # fmt: skip

    @app.middleware("http")
    async def authenticate_and_throttle(request: Request, call_next: Any) -> Response:
        path = _api_path(request)
        if path is None:
            return await call_next(request)
        try:
            key = authenticate(config, path, request.query_params)
        except VendorError as refused:
            return JSONResponse(refused.body, status_code=refused.status)
        wait = _refused_for(key)
        if wait is not None:  # assumption: ClickPost publishes no limit; its envelope, with Retry-After
            return JSONResponse(_shape(429, "Too Many Requests"), status_code=429, headers={"Retry-After": wait})
        return await call_next(request)

    def _refused_for(key: str) -> str | None:
        if config.api_requests_per_second is None:
            return None
        rate, burst = config.api_requests_per_second, config.api_burst
        with state.lock:
            allowed, bucket = state.clickpost.throttle.admit("api", key[-4:], lambda: LeakyBucket(burst, rate))
            return None if allowed else retry_after_seconds(bucket)

    install_faults(app, state, "clickpost", _shape)
    app.include_router(api_router(ctx))
    app.include_router(control_router(ctx, sender), prefix="/_sandbox")
    return app
