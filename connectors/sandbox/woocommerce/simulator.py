"""WooCommerce REST API (wc/v3) simulator, mounted so that `{mount}` is the store's home URL: the API is at
`{mount}/wp-json/wc/v3`, authenticated as `WC_REST_Authentication` does (see `authentication`), with WordPress's
error bodies. WooCommerce core enforces no request-rate limit, so neither does the sandbox.

Control API (`/_sandbox`): `GET /state`, `POST /reset`, `POST /orders` (a shopper's order: emits `order.created`),
`POST /products/bulk` (many products with SKUs at once), `GET /stock` (SKU -> stock_quantity),
`POST /redeliver/{delivery id}`.
"""

from __future__ import annotations

import base64
import binascii
import copy
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse

from connectors.sandbox.config import WooCommerceConfig
from connectors.sandbox.emission import WebhookSender, settle
from connectors.sandbox.emission import redeliver as redeliver_delivery
from connectors.sandbox.faults import install_faults
from connectors.sandbox.state import SandboxState
from connectors.sandbox.vendor_api import VendorError, install_error_handlers, json_body, wants_wait
from connectors.sandbox.woocommerce.authentication import WooCommerceAuthenticator, wc_error
from connectors.sandbox.woocommerce.rest import rest_router
from connectors.sandbox.woocommerce.store import WooCommerceContext, create_order, new_product, seed_demo_data

API_PREFIX = "/wp-json/wc/v3"
MAX_BULK = 1_000_000  # products one control call may seed
_NOT_ALLOWED = {  # the permission check's answer to a request without credentials
    "GET": ("woocommerce_rest_cannot_view", "Sorry, you cannot list resources."),
    "POST": ("woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources."),
    "PUT": ("woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource."),
    "DELETE": ("woocommerce_rest_cannot_delete", "Sorry, you are not allowed to delete this resource."),
}


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _shape(status: int, detail: str) -> dict[str, Any]:
    if status == 404:
        return {
            "code": "rest_no_route",
            "message": "No route was found matching the URL and request method.",
            "data": {"status": 404},
        }
    return {"code": "rest_error", "message": detail, "data": {"status": status}}


def _basic(request: Request) -> tuple[str, str] | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(value).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user, password


def _signed_url(request: Request, is_ssl: bool) -> str:
    """The URL WooCommerce signs: home URL plus the request path, the scheme as WordPress sees it."""
    root, path = request.scope.get("root_path", ""), request.scope["path"]
    full = path if path.startswith(root) else root + path
    return f"{'https' if is_ssl else 'http'}://{request.headers.get('host', '')}{full}"


def control_router(ctx: WooCommerceContext) -> APIRouter:
    router = APIRouter()

    def bad(message: str) -> VendorError:
        return wc_error("sandbox_invalid", message, 400)

    @router.get("/state")
    def state() -> dict[str, Any]:
        with ctx.state.lock:
            data = ctx.state.woocommerce
            return copy.deepcopy(
                {
                    "orders": list(data.orders.values()),
                    "order_notes": {str(k): v for k, v in data.order_notes.items()},
                    "products": list(data.products.values()),
                    "webhooks": list(data.webhooks.values()),
                    "deliveries": ctx.state.deliveries_of("woocommerce"),
                }
            )

    @router.post("/reset")
    def reset() -> dict[str, Any]:
        ctx.state.reset("woocommerce")
        return {"reset": "woocommerce"}

    @router.post("/orders", status_code=201)
    async def new_order(request: Request) -> dict[str, Any]:
        """Body (all optional): sku, quantity, line_items[{sku, quantity, price}], status, date_modified, billing,
        shipping; emits `order.created`; `?wait=true` delivers inline."""
        spec = await json_body(request, bad, optional=True)
        try:
            with ctx.state.lock:
                order = copy.deepcopy(create_order(ctx, spec))
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            raise bad(f"invalid order spec: {exc}") from None
        deliveries = ctx.emit("order.created", order)
        if wants_wait(request):
            await settle(deliveries)
        return {"order": order, "deliveries": [d.id for d in deliveries]}

    @router.post("/products/bulk", status_code=201)
    async def seed_products_bulk(request: Request) -> dict[str, Any]:
        """Many simple products at once, stock managed. Body: {"count": N, "sku_prefix"?: "SKU-", "start"?: 1,
        "pad"?: 0, "stock_quantity"?: 0}; SKUs are `f"{sku_prefix}{n:0{pad}d}"` for n from `start`. No webhooks.
        Answers {"count", "product_ids": [ids in SKU order]}."""
        spec = await json_body(request, bad, optional=True)
        spec = spec if isinstance(spec, dict) else {}
        count, start, pad = spec.get("count"), spec.get("start", 1), spec.get("pad", 0)
        quantity, prefix = spec.get("stock_quantity", 0), str(spec.get("sku_prefix", "SKU-"))
        if not (_count(count) and _count(start) and _count(pad)) or count > MAX_BULK:
            raise bad(f"count (0..{MAX_BULK}), start and pad must be non-negative integers")
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            raise bad("stock_quantity must be an integer")
        with ctx.state.lock:
            known = {p["sku"] for p in ctx.state.woocommerce.products.values()}
            skus = [f"{prefix}{n:0{pad}d}" for n in range(start, start + count)]
            if known.intersection(skus):
                raise bad(f"SKUs already exist: {sorted(known.intersection(skus))[:5]}")
            ids = [new_product(ctx, sku, manage_stock=True, stock_quantity=quantity)["id"] for sku in skus]
        return {"count": len(ids), "product_ids": ids}

    @router.get("/stock")
    def stock(request: Request) -> dict[str, Any]:
        """SKU -> stock_quantity of every product and variation (`?sku_prefix=` narrows), without the rest of
        the state."""
        prefix = request.query_params.get("sku_prefix", "")
        with ctx.state.lock:
            return {
                p["sku"]: p["stock_quantity"]
                for p in ctx.state.woocommerce.products.values()
                if p["sku"] and p["sku"].startswith(prefix)
            }

    @router.post("/redeliver/{delivery_id}")
    async def redeliver(delivery_id: str, request: Request) -> dict[str, Any]:
        found = await redeliver_delivery(ctx.sender, ctx.state, "woocommerce", delivery_id, wants_wait(request))
        if found is None:
            raise bad(f"no delivery {delivery_id}")
        return found

    return router


def build_woocommerce(config: WooCommerceConfig, state: SandboxState, sender: WebhookSender) -> FastAPI:
    ctx = WooCommerceContext(config, state, sender)
    authenticator = WooCommerceAuthenticator(config, state)
    app = FastAPI(title="WooCommerce sandbox", docs_url="/_sandbox/docs", openapi_url="/_sandbox/openapi.json")
    install_error_handlers(app, _shape)

    @app.middleware("http")
    async def authenticate(request: Request, call_next: Any) -> Response:
        if API_PREFIX not in request.scope["path"]:
            return await call_next(request)
        is_ssl = config.https or request.headers.get("x-forwarded-proto", "").lower() == "https"
        params = dict(request.query_params.items())  # PHP's $_GET: the last of repeated names wins
        try:
            allowed = authenticator.authenticate(
                request.method, _signed_url(request, is_ssl), params, request.headers, _basic(request)
            )
        except VendorError as refused:
            return JSONResponse(refused.body, status_code=refused.status)
        if not allowed:
            code, message = _NOT_ALLOWED.get(request.method, _NOT_ALLOWED["GET"])
            return JSONResponse({"code": code, "message": message, "data": {"status": 401}}, status_code=401)
        return await call_next(request)

    install_faults(app, state, "woocommerce", _shape)
    app.include_router(rest_router(ctx), prefix=API_PREFIX)
    app.include_router(control_router(ctx), prefix="/_sandbox")
    if config.seed_demo_data:
        state.on_reset("woocommerce", seed_demo_data)
    return app
