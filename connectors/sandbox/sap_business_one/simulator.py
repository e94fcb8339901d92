"""SAP Business One Service Layer simulator, mounted so that `{mount}/b1s/v1` is `https://<host>:50000/b1s/v1`:
cookie sessions with an idle timeout, the Service Layer's error bodies, OData query options and server-driven
paging; control API at `{mount}/_sandbox` (see `control`)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from connectors.sandbox.faults import install_faults
from connectors.sandbox.sap_business_one.control import VENDOR, control_router
from connectors.sandbox.sap_business_one.documents import seed_demo_data
from connectors.sandbox.sap_business_one.errors import error_body, shape
from connectors.sandbox.sap_business_one.routes import LOGIN_PATH, SERVICE_ROOT, service_router
from connectors.sandbox.sap_business_one.sessions import COOKIE, ROUTE_COOKIE, SessionKeeper
from connectors.sandbox.sap_business_one.settings import SapBusinessOneConfig
from connectors.sandbox.state import SandboxState
from connectors.sandbox.throttling import LeakyBucket, retry_after_seconds
from connectors.sandbox.vendor_api import VendorError, install_error_handlers

THROTTLE_SCOPE = "service_layer"
TOO_MANY = error_body(429, "Too Many Requests")  # assumption: SAP documents no limit, so no body for one


def _service_path(request: Request) -> str | None:
    """The path under the mount when it is a Service Layer call, else None (control routes)."""
    root, path = request.scope.get("root_path", ""), request.scope["path"]
    path = path.removeprefix(root) if root and path.startswith(root) else path
    return path if path.startswith(f"{SERVICE_ROOT}/") else None


def build_sap_business_one(config: SapBusinessOneConfig, state: SandboxState) -> FastAPI:
    keeper = SessionKeeper(config, state)
    app = FastAPI(title="SAP Business One sandbox", docs_url="/_sandbox/docs", openapi_url="/_sandbox/openapi.json")
    install_error_handlers(app, shape)

    @app.middleware("http")
    async def session_gate(request: Request, call_next: Any) -> Response:
        path = _service_path(request)
        if path is None or path == LOGIN_PATH:
            return await call_next(request)
        try:
            with state.lock:
                keeper.touch(request.cookies.get(COOKIE), request.cookies.get(ROUTE_COOKIE))
        except VendorError as refused:
            return JSONResponse(refused.body, status_code=refused.status)
        return await call_next(request)

    @app.middleware("http")
    async def rate_limit(request: Request, call_next: Any) -> Response:
        rate = config.requests_per_second
        if rate is None or _service_path(request) is None:
            return await call_next(request)
        client = request.client.host if request.client else "unknown"
        with state.lock:
            allowed, bucket = state.sap_business_one.throttle.admit(
                THROTTLE_SCOPE, client, lambda: LeakyBucket(config.burst, rate)
            )
            wait = retry_after_seconds(bucket)
        if allowed:
            return await call_next(request)
        return JSONResponse(TOO_MANY, status_code=429, headers={"Retry-After": wait})

    install_faults(app, state, VENDOR, shape)
    app.include_router(service_router(config, state, keeper), prefix=SERVICE_ROOT)
    app.include_router(control_router(config, state, keeper), prefix="/_sandbox")
    if config.seed_demo_data:
        state.on_reset(VENDOR, lambda fresh: seed_demo_data(fresh, config))
    return app
