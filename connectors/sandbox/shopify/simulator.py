"""Shopify Admin REST API 2024-10 simulator: `X-Shopify-Access-Token` auth, the per-shop leaky bucket with
`X-Shopify-Shop-Api-Call-Limit` (429 + `Retry-After: 2.0` when full, counted), and the routers mounted under
`/admin/api/{version}` and `/_sandbox`."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from connectors.sandbox.config import ShopifyConfig
from connectors.sandbox.emission import WebhookSender
from connectors.sandbox.faults import install_faults
from connectors.sandbox.shopify.admin import admin_router
from connectors.sandbox.shopify.context import CALL_LIMIT_SCOPE, ShopifyContext
from connectors.sandbox.shopify.control import control_router
from connectors.sandbox.shopify.fulfillment import fulfillment_router
from connectors.sandbox.shopify.graphql import graphql_router
from connectors.sandbox.shopify.orders import seed_demo_data
from connectors.sandbox.state import SandboxState
from connectors.sandbox.throttling import LeakyBucket
from connectors.sandbox.vendor_api import install_error_handlers

ADMIN_PREFIX = "/admin/api/"
UNAUTHORIZED = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
THROTTLED = {
    "errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."
}


def build_shopify(config: ShopifyConfig, state: SandboxState, sender: WebhookSender) -> FastAPI:
    ctx = ShopifyContext(config, state, sender)
    app = FastAPI(title="Shopify sandbox", docs_url="/_sandbox/docs", openapi_url="/_sandbox/openapi.json")
    install_error_handlers(app, lambda status, detail: {"errors": detail})

    def new_bucket() -> LeakyBucket:
        return LeakyBucket(config.bucket_size, config.leak_rate)

    @app.middleware("http")
    async def admin_gate(request: Request, call_next: Any) -> Response:
        path = request.url.path
        if ADMIN_PREFIX not in path:
            return await call_next(request)
        token = request.headers.get("X-Shopify-Access-Token")
        if token != config.access_token:
            return JSONResponse(UNAUTHORIZED, status_code=401)
        if path.endswith("/graphql.json"):  # GraphQL has its own cost bucket (`graphql`)
            return await call_next(request)
        with state.lock:
            allowed, bucket = state.shopify.throttle.admit(CALL_LIMIT_SCOPE, config.shop_domain, new_bucket)
            used = bucket.used
        limit_header = {"X-Shopify-Shop-Api-Call-Limit": f"{used}/{config.bucket_size}"}
        if not allowed:
            return JSONResponse(THROTTLED, status_code=429, headers={**limit_header, "Retry-After": "2.0"})
        response = await call_next(request)
        response.headers.update(limit_header)
        response.headers["X-Request-Id"] = str(uuid.uuid4())
        version = path.split(ADMIN_PREFIX, 1)[1].split("/", 1)[0]
        response.headers["X-Shopify-API-Version"] = version
        return response

    install_faults(app, state, "shopify", lambda status, detail: {"errors": detail})
    app.include_router(admin_router(ctx), prefix="/admin/api/{version}")
    app.include_router(fulfillment_router(ctx), prefix="/admin/api/{version}")
    app.include_router(graphql_router(ctx), prefix="/admin/api/{version}")
    app.include_router(control_router(ctx), prefix="/_sandbox")
    if config.seed_demo_data:
        state.on_reset("shopify", seed_demo_data)
    return app
