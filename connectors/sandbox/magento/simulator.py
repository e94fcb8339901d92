"""Magento 2 REST simulator: `/rest/<store code>/V1/...` behind admin-token or OAuth 1.0a integration auth, with
Magento's error bodies, plus a control API under `/_sandbox`.

    POST /_sandbox/orders {sku?, quantity?, price?, items?, payment_method?, status?, created_at?, updated_at?}
    POST /_sandbox/admin-tokens/expire     every admin token issued so far expires (as 4 hours later)
    GET  /_sandbox/state, POST /_sandbox/reset
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse

from connectors.sandbox.config import MagentoConfig
from connectors.sandbox.faults import install_faults
from connectors.sandbox.magento.authentication import MagentoAuthenticator, magento_error
from connectors.sandbox.magento.rest import TOKEN_PATH, resource_for, rest_router
from connectors.sandbox.magento.store import MagentoContext, create_order, seed_demo_data
from connectors.sandbox.state import SandboxState
from connectors.sandbox.vendor_api import VendorError, install_error_handlers, json_body

REST = "/rest/{store_code}"


def _shape(status: int, detail: str) -> dict[str, Any]:
    if status in (404, 405):
        return {"message": "Request does not match any route."}
    return {"message": detail}


def _rest_path(request: Request) -> str | None:
    """The path under `/rest/<store code>`, or None for anything else (control routes)."""
    root, path = request.scope.get("root_path", ""), request.scope["path"]
    path = path.removeprefix(root) if path.startswith(root) else path
    parts = path.split("/", 3)  # "", "rest", store, rest-of-path
    if len(parts) < 4 or parts[1] != "rest":
        return None
    return "/" + parts[3]


def _signed_url(request: Request) -> str:
    """The URL the client signed: as it called it, with the mount's prefix and the query."""
    root, path = request.scope.get("root_path", ""), request.scope["path"]
    full = path if path.startswith(root) else root + path
    query = request.url.query
    return f"{request.url.scheme}://{request.headers.get('host', '')}{full}" + (f"?{query}" if query else "")


def control_router(ctx: MagentoContext, authenticator: MagentoAuthenticator) -> APIRouter:
    router = APIRouter()

    @router.get("/state")
    def state() -> dict[str, Any]:
        with ctx.state.lock:
            data = ctx.state.magento
            return copy.deepcopy({
                "orders": list(data.orders.values()),
                "shipments": list(data.shipments.values()),
                "source_items": list(data.source_items.values()),
                "token_requests": data.token_requests,
                "admin_tokens": len(data.admin_tokens),
            })  # fmt: skip

    @router.post("/reset")
    def reset() -> dict[str, Any]:
        ctx.state.reset("magento")
        return {"reset": "magento"}

    @router.post("/orders", status_code=201)
    async def new_order(request: Request) -> dict[str, Any]:
        spec = await json_body(request, lambda m: magento_error(400, m), optional=True)
        try:
            with ctx.state.lock:
                return {"order": copy.deepcopy(create_order(ctx, spec))}
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            raise magento_error(400, f"invalid order spec: {exc}") from None

    @router.post("/admin-tokens/expire")
    def expire_admin_tokens() -> dict[str, Any]:
        return {"expired": authenticator.expire_admin_tokens()}

    return router


def build_magento(config: MagentoConfig, state: SandboxState) -> FastAPI:
    ctx = MagentoContext(config, state)
    authenticator = MagentoAuthenticator(config, state)
    app = FastAPI(title="Magento 2 sandbox", docs_url="/_sandbox/docs", openapi_url="/_sandbox/openapi.json")
    install_error_handlers(app, _shape)

    @app.middleware("http")
    async def authenticate(request: Request, call_next: Any) -> Response:
        path = _rest_path(request)
        if path is None or path == TOKEN_PATH:
            return await call_next(request)
        try:
            authenticator.authenticate(
                request.method, _signed_url(request), request.headers, await request.body(), resource_for(path)
            )
        except VendorError as refused:
            return JSONResponse(refused.body, status_code=refused.status)
        return await call_next(request)

    install_faults(app, state, "magento", _shape)
    app.include_router(rest_router(ctx, authenticator), prefix=REST)
    app.include_router(control_router(ctx, authenticator), prefix="/_sandbox")
    if config.seed_demo_data:
        state.on_reset("magento", lambda fresh: seed_demo_data(fresh, config.source_code))
    return app
