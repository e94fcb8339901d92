"""Paytm Mall seller API simulator (legacy; community-documented, see `fulfillment` for what is assumed), mounted
so that `{mount}/persona` is `https://persona.paytm.com` (the two-step login, `persona`), `{mount}/fulfillment` is
`https://fulfillment.paytm.com` and `{mount}/catalogadmin` is `https://catalogadmin.paytm.com`; both API hosts
check `?authtoken=` (401 `{"status": "FAILURE", "message"}`, an assumption). Control API at `{mount}/_sandbox`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from connectors.sandbox.config import PaytmMallConfig
from connectors.sandbox.faults import install_faults
from connectors.sandbox.paytm_mall.control import control_router, seed_products
from connectors.sandbox.paytm_mall.fulfillment import catalog_router, fulfillment_router
from connectors.sandbox.paytm_mall.persona import check_authtoken, persona_router
from connectors.sandbox.state import SandboxState
from connectors.sandbox.vendor_api import install_error_handlers

API_PREFIXES = ("/fulfillment/", "/catalogadmin/")


def _shape(status: int, detail: str) -> dict[str, Any]:
    return {"status": "FAILURE", "message": detail}


def build_paytm_mall(config: PaytmMallConfig, state: SandboxState) -> FastAPI:
    app = FastAPI(title="Paytm Mall sandbox", docs_url="/_sandbox/docs", openapi_url="/_sandbox/openapi.json")
    install_error_handlers(app, _shape)

    @app.middleware("http")
    async def authtoken_gate(request: Request, call_next: Any) -> Response:
        path = request.scope["path"].removeprefix(request.scope.get("root_path", ""))
        if path.startswith(API_PREFIXES):
            problem = check_authtoken(config, state, request.query_params.get("authtoken"))
            if problem:
                return JSONResponse(_shape(401, problem), status_code=401)
        return await call_next(request)

    install_faults(app, state, "paytm_mall", _shape)
    app.include_router(persona_router(config, state), prefix="/persona")
    app.include_router(fulfillment_router(config, state), prefix="/fulfillment")
    app.include_router(catalog_router(config, state), prefix="/catalogadmin")
    app.include_router(control_router(config, state), prefix="/_sandbox")
    if config.seed_demo_data:
        state.on_reset("paytm_mall", seed_products)
    return app
