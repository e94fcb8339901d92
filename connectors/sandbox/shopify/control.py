"""Shopify sandbox control API (`/shopify/_sandbox/...`): inspect and reset state, seed inventory items, create
orders the way a shopper would (emitting `orders/create`), and redeliver webhooks. Orders are built in
`orders`. The state shows the call-limit bucket per shop and the 429s served (`rate_limited`, `rate_limited_by`)."""

from __future__ import annotations

import copy
from typing import Any

from fastapi import APIRouter, Request

from connectors.sandbox.emission import settle
from connectors.sandbox.shopify.context import CALL_LIMIT_SCOPE, ShopifyContext
from connectors.sandbox.shopify.orders import create_order
from connectors.sandbox.throttling import LeakyBucket
from connectors.sandbox.vendor_api import VendorError, json_body, wants_wait


def _bad(message: str) -> VendorError:
    return VendorError(400, {"errors": message})


def snapshot(ctx: ShopifyContext) -> dict[str, Any]:
    with ctx.state.lock:
        data = ctx.state.shopify  # replaced on reset: read it under the lock
        return copy.deepcopy(
            {
                "orders": list(data.orders.values()),
                "fulfillment_orders": list(data.fulfillment_orders.values()),
                "fulfillments": list(data.fulfillments.values()),
                "fulfillment_events": list(data.fulfillment_events.values()),
                "locations": list(data.locations.values()),
                "inventory_items": list(data.inventory_items.values()),
                "inventory_levels": list(data.inventory_levels.values()),
                "webhooks": list(data.webhooks.values()),
                "call_limit": {
                    shop: f"{bucket.used}/{bucket.size}"
                    for shop, bucket in data.throttle.of(CALL_LIMIT_SCOPE).items()
                    if isinstance(bucket, LeakyBucket)
                },
                "deliveries": ctx.state.deliveries_of("shopify"),
                **data.throttle.stats(),
            }
        )


def control_router(ctx: ShopifyContext) -> APIRouter:
    router = APIRouter()

    @router.get("/state")
    def state() -> dict[str, Any]:
        return snapshot(ctx)

    @router.post("/reset")
    def reset() -> dict[str, Any]:
        ctx.state.reset("shopify")
        return {"reset": "shopify"}

    @router.post("/orders", status_code=201)
    async def new_order(request: Request) -> dict[str, Any]:
        """Body (all optional): sku, quantity, price, line_items[{sku,quantity,price,title}], email,
        shipping_address{...}, created_at, updated_at, financial_status, note; `?wait=true` delivers inline."""
        spec = await json_body(request, _bad, optional=True)
        if not isinstance(spec, dict):
            raise _bad("body must be an object")
        try:
            with ctx.state.lock:
                order, fulfillment_order = create_order(ctx, spec)
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            raise _bad(f"invalid order spec: {exc}") from None
        deliveries = ctx.emit("orders/create", order)
        if wants_wait(request):
            await settle(deliveries)
        return {"order": order, "fulfillment_order": fulfillment_order, "deliveries": [d.id for d in deliveries]}

    @router.post("/inventory_items", status_code=201)
    async def seed_items(request: Request) -> dict[str, Any]:
        """Body: {"items": [{"sku", "id"?}], "locations": [{"id", "name"}]}; returns what exists now."""
        spec = await json_body(request, _bad)
        with ctx.state.lock:
            for location in spec.get("locations", []):
                ctx.state.shopify.locations[int(location["id"])] = {"name": f"Location {location['id']}", **location}
            for entry in spec.get("items", []):
                item_id = int(entry.get("id") or ctx.new_id())
                item = {"id": item_id, "sku": str(entry["sku"]), "variant_id": item_id + 1_000_000, "tracked": True}
                ctx.state.shopify.inventory_items[item_id] = item
        current = snapshot(ctx)
        return {"inventory_items": current["inventory_items"], "locations": current["locations"]}

    @router.post("/redeliver/{webhook_id}")
    async def redeliver(webhook_id: str, request: Request) -> dict[str, Any]:
        """Send delivery `webhook_id` again: same body, same headers (so the same X-Shopify-Webhook-Id)."""
        with ctx.state.lock:
            known = ctx.state.deliveries.get(webhook_id)
        if known is None or known.vendor != "shopify":
            raise VendorError(404, {"errors": f"no delivery {webhook_id}"})
        delivery = ctx.sender.redeliver(webhook_id)
        if wants_wait(request):
            await settle([delivery])
        with ctx.state.lock:
            return delivery.as_dict()

    return router
