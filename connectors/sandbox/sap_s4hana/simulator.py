"""SAP S/4HANA simulator: the OData v2 services under `/sap/opu/odata/sap/...` behind logon, sessions and CSRF
protection (`gateway.py`), OAuth 2.0 client credentials (`oauth.py`), an optional request-rate limit, faults, and the
control API under `/_sandbox` (`control.py`)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from connectors.sandbox.faults import install_faults
from connectors.sandbox.sap_s4hana.control import VENDOR, control_router
from connectors.sandbox.sap_s4hana.errors import csrf_required, logon_failed, shape
from connectors.sandbox.sap_s4hana.gateway import Gateway
from connectors.sandbox.sap_s4hana.oauth import oauth_router
from connectors.sandbox.sap_s4hana.seed import seed_demo_data
from connectors.sandbox.sap_s4hana.services import odata_router
from connectors.sandbox.sap_s4hana.settings import SapS4hanaConfig
from connectors.sandbox.state import SandboxState
from connectors.sandbox.throttling import LeakyBucket, retry_after_seconds
from connectors.sandbox.vendor_api import install_error_handlers

ODATA = "/sap/opu/odata/"


def _throttled(config: SapS4hanaConfig, state: SandboxState) -> Response | None:
    """The 429 when the (optional) per-user limit is spent; None when the call may go on."""
    rate = config.requests_per_second
    if rate is None:
        return None
    with state.lock:
        allowed, limit = state.sap_s4hana.throttle.admit(
            "api", config.username, lambda: LeakyBucket(config.burst, rate)
        )
        if allowed:
            return None
        wait = retry_after_seconds(limit)
    return JSONResponse(shape(429, "Too many requests"), status_code=429, headers={"Retry-After": wait})


def build_sap_s4hana(config: SapS4hanaConfig, state: SandboxState) -> FastAPI:
    gateway = Gateway(config, state)
    app = FastAPI(title="SAP S/4HANA sandbox", docs_url="/_sandbox/docs", openapi_url="/_sandbox/openapi.json")
    install_error_handlers(app, shape)

    @app.middleware("http")
    async def logon_and_csrf(request: Request, call_next: Any) -> Response:
        if ODATA not in request.scope["path"]:
            return await call_next(request)
        admission = gateway.admit(request)
        if admission.refusal == "logon":
            return logon_failed(config.system_id, config.client)
        throttled = _throttled(config, state)
        if throttled is not None:
            return gateway.finish(throttled, admission)
        if admission.refusal == "csrf":
            return gateway.finish(csrf_required(), admission)
        return gateway.finish(await call_next(request), admission)

    install_faults(app, state, VENDOR, shape)
    app.include_router(odata_router(config, state))
    app.include_router(oauth_router(config, state))
    app.include_router(control_router(config, state, gateway), prefix="/_sandbox")
    if config.seed_demo_data:
        state.on_reset(VENDOR, seed_demo_data)
    return app
