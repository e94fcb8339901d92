"""Eshopbox platform routes (`<workspace>.myeshopbox.com`): the channel inventory listing and webhook registration."""

from __future__ import annotations

import bisect
import math
from typing import Any

from fastapi import APIRouter, Request

from connectors.sandbox.eshopbox.context import EshopboxContext, copied, error
from connectors.sandbox.timestamps import iso_z, now, parse_time
from connectors.sandbox.vendor_api import json_body


def platform_router(ctx: EshopboxContext) -> APIRouter:
    router = APIRouter()

    @router.get("/v2/productListing")
    def product_listing(request: Request) -> dict[str, Any]:
        query = request.query_params
        try:
            after = parse_time(query["updatedAfter"]) if query.get("updatedAfter") else None
            before = parse_time(query["updatedBefore"]) if query.get("updatedBefore") else None
            page, per_page = int(query.get("page", 1)), int(query.get("perPage", 50))
        except ValueError as exc:
            raise error(400, f"Invalid query parameter: {exc}") from None
        if page < 1 or not 1 <= per_page <= 100:
            raise error(400, "page must be >= 1 and perPage between 1 and 100")
        with ctx.state.lock:  # the rows are kept in listing order: a page is two bisects and a slice
            rows = ctx.state.eshopbox.inventory
            order = rows.ordered()
            low = 0 if after is None else bisect.bisect_left(order, (after,))
            high = len(order) if before is None else max(low, bisect.bisect_left(order, (before,)))
            start = min(high, low + (page - 1) * per_page)
            items = copied([rows[(sku, warehouse)] for _, sku, warehouse in order[start : min(high, start + per_page)]])
        total = high - low
        return {"items": items, "page": page, "perPage": per_page, "total": total,
                "totalPages": math.ceil(total / per_page)}  # fmt: skip

    @router.post("/v1/webhook", status_code=201)
    async def register_webhook(request: Request) -> dict[str, Any]:
        body = await json_body(request, lambda m: error(400, m))
        body = body if isinstance(body, dict) else {}
        problems = [f for f in ("resource", "eventType", "webhookUrl") if not body.get(f)]
        if body.get("resource") not in (None, "channel_inventory", "shipment", "returnShipment"):
            problems.append("resource")
        if body.get("webhookMethod", "POST") != "POST" or body.get("eventType", "POST") not in ("POST", "PUT"):
            problems.append("webhookMethod/eventType")
        if problems:
            raise error(400, "Invalid webhook registration", fields=problems)
        with ctx.state.lock:
            hook_id = ctx.new_id()
            hook = {
                "id": hook_id,
                "resource": body["resource"],
                "eventType": body["eventType"],
                "eventSubType": body.get("eventSubType"),
                "version": body.get("version", "v1"),
                "externalChannelID": body.get("externalChannelID"),
                "webhookUrl": body["webhookUrl"],
                "webhookMethod": "POST",
                "webhookHeaders": body.get("webhookHeaders") or {},
                "proxyHost": request.headers.get("ProxyHost"),
                "createdAt": iso_z(now()),
            }
            ctx.state.eshopbox.webhooks[hook_id] = hook
            return copied(hook)

    @router.get("/platform/v1/client-webhook")
    def list_webhooks() -> dict[str, Any]:
        with ctx.state.lock:
            return {"items": copied(list(ctx.state.eshopbox.webhooks.values()))}

    return router
