"""Business Central and NAV simulator, mounted so that `{mount}` stands in for three hosts:

- `{mount}/login/{tenant}/oauth2/v2.0/token`: Microsoft Entra ID's token endpoint (`tokens`);
- `{mount}/v2.0/{tenant}/{environment}/api/v2.0/...`: Business Central online's API v2.0 (`api`), every call
  needing a valid Bearer token for the tenant (401 otherwise) and spending one request of the client's sliding
  window (6,000 per 5 minutes; 429 `Application_TooManyRequests` with `Retry-After`, counted);
- `{mount}/nav/{instance}/ODataV4/...`: a NAV server's OData v4 web services (`nav`) behind HTTP Digest or Basic
  (`digest`).

The control API is at `{mount}/_sandbox` (`control`); faults apply to all three."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from connectors.sandbox.business_central.api import API_PREFIX, bc_router
from connectors.sandbox.business_central.context import BusinessCentralContext, odata_error, odata_error_body
from connectors.sandbox.business_central.control import control_router
from connectors.sandbox.business_central.digest import verify_nav_credentials
from connectors.sandbox.business_central.nav import NAV_PREFIX, nav_router
from connectors.sandbox.business_central.settings import BusinessCentralConfig
from connectors.sandbox.business_central.store import seed
from connectors.sandbox.business_central.tokens import entra_router, verify_bearer
from connectors.sandbox.faults import install_faults
from connectors.sandbox.state import SandboxState
from connectors.sandbox.throttling import SlidingWindow, retry_after_seconds
from connectors.sandbox.vendor_api import VendorError, install_error_handlers


def _admit(ctx: BusinessCentralContext, client_id: str) -> None:
    """Spend one request of the client's window; BC's 429 when it is used up."""
    config = ctx.config
    limit_per_window = config.api_requests_per_window
    if limit_per_window is None:
        return
    with ctx.state.lock:
        allowed, limit = ctx.data.throttle.admit(
            "api", client_id, lambda: SlidingWindow(limit_per_window, config.api_window_seconds)
        )
        wait = retry_after_seconds(limit)
    if not allowed:
        raise odata_error(429, f"Too many requests reached.  Actual ({limit_per_window + 1}).  Maximum "
                          f"({limit_per_window}).", **{"Retry-After": wait})  # fmt: skip


def _gate(ctx: BusinessCentralContext, request: Request) -> None:
    """Authenticate (and for BC, rate-limit) a request to either API; raises the refusal."""
    root = request.scope.get("root_path", "")
    parts = request.scope["path"].removeprefix(root).split("/")
    if len(parts) > 4 and parts[1] == "v2.0" and parts[4] == "api":
        tenant, environment = parts[2], parts[3]
        client_id = verify_bearer(ctx.config, ctx.state, request.headers.get("authorization"), tenant)
        if environment != ctx.config.environment:
            raise odata_error(404, f"The environment '{environment}' does not exist.", code="NoEnvironment")
        _admit(ctx, client_id)
    elif len(parts) > 2 and parts[1] == "nav":
        verify_nav_credentials(ctx, request)


def build_business_central(config: BusinessCentralConfig, state: SandboxState) -> FastAPI:
    ctx = BusinessCentralContext(config, state)
    app = FastAPI(title="Business Central / NAV sandbox", docs_url="/_sandbox/docs",
                  openapi_url="/_sandbox/openapi.json")  # fmt: skip
    install_error_handlers(app, odata_error_body)

    @app.middleware("http")
    async def authenticate(request: Request, call_next: Any) -> Response:
        try:
            _gate(ctx, request)
        except VendorError as refusal:
            return JSONResponse(refusal.body, status_code=refusal.status, headers=refusal.headers)
        response: Response = await call_next(request)
        return response

    install_faults(app, state, "business_central", odata_error_body)
    app.include_router(entra_router(ctx), prefix="/login")
    app.include_router(bc_router(ctx), prefix=API_PREFIX)
    app.include_router(nav_router(ctx), prefix=NAV_PREFIX)
    app.include_router(control_router(ctx), prefix="/_sandbox")
    state.on_reset("business_central", lambda current: seed(config, current.business_central))
    return app
