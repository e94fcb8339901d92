"""Shopify sandbox control API (`/shopify/_sandbox/...`): inspect and reset state, seed inventory items (a few, or
100,000 at once with their levels), read every level of a location back as {sku: available}, create orders the way
a shopper would (emitting `orders/create`), and redeliver webhooks. Orders are built in `orders`. The state shows
the call-limit bucket per shop and the 429s served (`rate_limited`, `rate_limited_by`)."""

from __future__ import annotations

import copy
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from connectors.sandbox.emission import redeliver as redeliver_delivery
from connectors.sandbox.emission import settle
from connectors.sandbox.shopify.context import CALL_LIMIT_SCOPE, ShopifyContext
from connectors.sandbox.shopify.orders import create_order
from connectors.sandbox.throttling import LeakyBucket
from connectors.sandbox.vendor_api import VendorError, json_body, wants_wait

MAX_BULK = 1_000_000


def _bad(message: str) -> VendorError:
    return VendorError(400, {"errors": message})


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


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

    @router.post("/inventory_items/bulk", status_code=201)
    async def seed_items_bulk(request: Request) -> JSONResponse:
        """Many items at once, each with a level at every location given. Body: {"count": N, "sku_prefix"?:
        "SKU-", "start"?: 1, "pad"?: 0, "location_ids"?: [ids] (default: every location; unknown ones are created),
        "available"?: 0}; SKUs are `f"{sku_prefix}{n:0{pad}d}"` for n from `start`. No webhooks. Answers 201
        {"count", "inventory_item_ids": [ids in SKU order], "location_ids"}."""
        spec = await json_body(request, _bad)
        spec = spec if isinstance(spec, dict) else {}
        count, start, pad = spec.get("count"), spec.get("start", 1), spec.get("pad", 0)
        available, location_ids = spec.get("available", 0), spec.get("location_ids")
        if not (_count(count) and _count(start) and _count(pad)) or count > MAX_BULK:
            raise _bad(f"count (0..{MAX_BULK}), start and pad must be non-negative integers")
        if not isinstance(available, int) or isinstance(available, bool):
            raise _bad("available must be an integer")
        if location_ids is not None and not (
            isinstance(location_ids, list) and all(str(i).isdigit() for i in location_ids)
        ):
            raise _bad("location_ids must be a list of location ids")
        prefix = str(spec.get("sku_prefix", "SKU-"))
        with ctx.state.lock:
            data = ctx.state.shopify
            locations = list(data.locations) if location_ids is None else [int(i) for i in location_ids]
            for location in locations:
                data.locations.setdefault(location, {"id": location, "name": f"Location {location}"})
            stamp, ids, items, levels = ctx.ts(), [], [], {}
            for number in range(start, start + count):
                item_id = ctx.new_id()
                items.append((item_id, {"id": item_id, "sku": f"{prefix}{number:0{pad}d}", "variant_id": ctx.new_id(),
                                        "tracked": True}))  # fmt: skip
                ids.append(item_id)
                for location in locations:
                    levels[(item_id, location)] = {
                        "inventory_item_id": item_id,
                        "location_id": location,
                        "available": available,
                        "updated_at": stamp,
                        "admin_graphql_api_id": f"gid://shopify/InventoryLevel/{location}?inventory_item_id={item_id}",
                    }
            data.inventory_items.add_many(items)
            data.inventory_levels.update(levels)
        answer = {"count": len(ids), "inventory_item_ids": ids, "location_ids": locations}
        return JSONResponse(answer, status_code=201)  # not through FastAPI's encoder: slow for 100,000 ids

    @router.get("/inventory_levels")
    def levels_of_location(location_id: int) -> JSONResponse:
        """Every level at `?location_id=` as {sku: available} (an item without a level there is left out)."""
        with ctx.state.lock:
            data = ctx.state.shopify
            levels = {
                data.inventory_items[item]["sku"]: level["available"]
                for (item, location), level in data.inventory_levels.items()
                if location == location_id and item in data.inventory_items
            }
        return JSONResponse(levels)

    @router.post("/redeliver/{webhook_id}")
    async def redeliver(webhook_id: str, request: Request) -> dict[str, Any]:
        """Send delivery `webhook_id` again: same body, same headers (so the same X-Shopify-Webhook-Id)."""
        found = await redeliver_delivery(ctx.sender, ctx.state, "shopify", webhook_id, wants_wait(request))
        if found is None:
            raise VendorError(404, {"errors": f"no delivery {webhook_id}"})
        return found

    return router
