"""Shopify Admin REST routes: orders (cursor pagination), fulfillment orders, webhook subscriptions.
Fulfillments, fulfillment events and inventory levels are in `fulfillment`."""

from __future__ import annotations

import base64
import binascii
import copy
import json
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from connectors.sandbox.shopify.context import ShopifyContext, errors, not_found, order_or_404
from connectors.sandbox.timestamps import parse_time
from connectors.sandbox.vendor_api import json_body

WITH_PAGE_INFO = {"page_info", "limit", "fields"}
TIME_FILTERS = ("created_at", "updated_at", "processed_at")
TOPICS = {
    "orders/create",
    "orders/updated",
    "orders/paid",
    "orders/cancelled",
    "orders/fulfilled",
    "orders/partially_fulfilled",
    "orders/delete",
    "fulfillments/create",
    "fulfillments/update",
    "fulfillment_events/create",
    "fulfillment_orders/fulfillment_request_submitted",
    "inventory_levels/update",
    "inventory_levels/connect",
    "inventory_items/update",
    "products/update",
    "app/uninstalled",
}


def _encode_cursor(cursor: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(cursor, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode_cursor(text: str) -> dict[str, Any]:
    try:
        cursor = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        if not isinstance(cursor, dict) or cursor.get("direction") not in ("next", "prev"):
            raise ValueError(text)
        return cursor
    except (ValueError, binascii.Error):
        raise errors(400, {"page_info": "Invalid value."}) from None


def _matches(ctx: ShopifyContext, order: dict[str, Any], filters: dict[str, str]) -> bool:
    status = filters.get("status", "open")
    if status == "open" and (order["closed_at"] or order["cancelled_at"]):
        return False
    if status == "closed" and not order["closed_at"] or status == "cancelled" and not order["cancelled_at"]:
        return False
    if "ids" in filters and str(order["id"]) not in filters["ids"].split(","):
        return False
    if "since_id" in filters and order["id"] <= int(filters["since_id"]):
        return False
    if "name" in filters and order["name"].lstrip("#") != filters["name"].lstrip("#"):
        return False
    financial = filters.get("financial_status", "any")
    if financial not in ("any", order["financial_status"]):
        return False
    fulfillment = filters.get("fulfillment_status", "any")
    wanted = {"shipped": "fulfilled", "unshipped": None, "unfulfilled": None}.get(fulfillment, fulfillment)
    if fulfillment != "any" and order["fulfillment_status"] != wanted:
        return False
    for field in TIME_FILTERS:
        moment = parse_time(order[field], ctx.tz) if order.get(field) else None
        for suffix, inside in (("min", lambda a, b: a >= b), ("max", lambda a, b: a <= b)):
            bound = filters.get(f"{field}_{suffix}")
            if bound is not None and (moment is None or not inside(moment, parse_time(bound, ctx.tz))):
                return False
    return True


def _check_filters(ctx: ShopifyContext, filters: dict[str, str]) -> None:
    for name, value in filters.items():
        if name.endswith(("_min", "_max")):
            try:
                parse_time(value, ctx.tz)
            except ValueError:
                raise errors(400, {name: f"{name} is invalid"}) from None
        if name == "since_id" and not value.isdigit():
            raise errors(400, {name: f"{name} is invalid"})


def _select(fields: str | None, record: dict[str, Any]) -> dict[str, Any]:
    if not fields:
        return record
    wanted = [name.strip() for name in fields.split(",")]
    return {name: record[name] for name in wanted if name in record}


def admin_router(ctx: ShopifyContext) -> APIRouter:
    router = APIRouter()  # ctx.state.shopify is replaced on reset: never keep a reference to it

    @router.get("/shop.json")
    def shop() -> dict[str, Any]:
        """The shop the token belongs to (the REST `Shop` resource, the fields a connection test reads)."""
        domain = ctx.config.shop_domain
        return {"shop": {"id": 1, "name": "Sandbox", "myshopify_domain": domain, "domain": domain,
                         "iana_timezone": "Asia/Kolkata", "currency": "INR"}}  # fmt: skip

    @router.get("/orders.json")
    def list_orders(request: Request) -> JSONResponse:
        query = request.query_params
        try:
            limit = min(250, max(1, int(query.get("limit", 50))))
        except ValueError:
            raise errors(400, {"limit": "limit is invalid"}) from None
        if "page_info" in query:
            extra = sorted(set(query) - WITH_PAGE_INFO)
            if extra:
                raise errors(400, {name: f"{name} cannot be passed when page_info is present." for name in extra})
            cursor = _decode_cursor(query["page_info"])
            filters = cursor.get("filters", {})
        else:
            cursor = None
            filters = {name: value for name, value in query.items() if name not in ("limit", "fields")}
        _check_filters(ctx, filters)
        with ctx.state.lock:
            matches = sorted(
                (o for o in ctx.state.shopify.orders.values() if _matches(ctx, o, filters)),
                key=lambda o: o["id"],
                reverse=True,
            )
            if cursor is None:
                page = matches[:limit]
            elif cursor["direction"] == "next":
                page = [o for o in matches if o["id"] < cursor["last_id"]][:limit]
            else:
                page = [o for o in matches if o["id"] > cursor["last_id"]][-limit:]
            body = copy.deepcopy({"orders": [_select(query.get("fields"), o) for o in page]})
        links = []
        if page:
            newer = any(o["id"] > page[0]["id"] for o in matches)
            older = any(o["id"] < page[-1]["id"] for o in matches)
            for rel, exists, direction, anchor in (
                ("previous", newer, "prev", page[0]),
                ("next", older, "next", page[-1]),
            ):
                if exists:
                    token = _encode_cursor({"filters": filters, "last_id": anchor["id"], "direction": direction})
                    params = {"limit": limit, "page_info": token}
                    if "fields" in query:
                        params["fields"] = query["fields"]
                    links.append(f'<{request.url.replace(query=urlencode(params))}>; rel="{rel}"')
        return JSONResponse(body, headers={"Link": ", ".join(links)} if links else None)

    @router.get("/orders/{order_id}.json")
    def get_order(order_id: str, request: Request) -> dict[str, Any]:
        with ctx.state.lock:
            return copy.deepcopy({"order": _select(request.query_params.get("fields"), order_or_404(ctx, order_id))})

    @router.get("/orders/{order_id}/fulfillment_orders.json")
    def fulfillment_orders(order_id: str) -> dict[str, Any]:
        with ctx.state.lock:
            order = order_or_404(ctx, order_id)
            found = [fo for fo in ctx.state.shopify.fulfillment_orders.values() if fo["order_id"] == order["id"]]
            return copy.deepcopy({"fulfillment_orders": sorted(found, key=lambda fo: fo["id"])})

    @router.post("/webhooks.json", status_code=201)
    async def create_webhook(request: Request) -> dict[str, Any]:
        body = await json_body(
            request, lambda message: errors(400, {"webhook": "Required parameter missing or invalid"})
        )
        hook = body.get("webhook") if isinstance(body, dict) else None
        if not isinstance(hook, dict):
            raise errors(400, {"webhook": "Required parameter missing or invalid"})
        topic, address, fmt = hook.get("topic"), hook.get("address"), hook.get("format", "json")
        problems: dict[str, list[str]] = {}
        if topic not in TOPICS:
            problems["topic"] = [f"Invalid topic specified: {topic}. Topics allowed: {', '.join(sorted(TOPICS))}"]
        if not isinstance(address, str) or not address.startswith(("http://", "https://")):
            problems["address"] = ["is invalid"]
        if fmt != "json":
            problems["format"] = ["is not supported by this sandbox (json only)"]
        with ctx.state.lock:
            if any(w["topic"] == topic and w["address"] == address for w in ctx.state.shopify.webhooks.values()):
                problems.setdefault("address", []).append("for this topic has already been taken")
            if problems:
                raise errors(422, problems)
            webhook_id, stamp = ctx.new_id(), ctx.ts()
            webhook = {
                "id": webhook_id,
                "address": address,
                "topic": topic,
                "created_at": stamp,
                "updated_at": stamp,
                "format": "json",
                "fields": hook.get("fields", []),
                "metafield_namespaces": [],
                "api_version": "2024-10",
                "private_metafield_namespaces": [],
            }
            ctx.state.shopify.webhooks[webhook_id] = webhook
        return {"webhook": dict(webhook)}

    @router.get("/webhooks.json")
    def list_webhooks(request: Request) -> dict[str, Any]:
        query = request.query_params
        with ctx.state.lock:
            hooks = [
                w
                for w in ctx.state.shopify.webhooks.values()
                if query.get("topic") in (None, w["topic"]) and query.get("address") in (None, w["address"])
            ]
        return copy.deepcopy({"webhooks": hooks})

    @router.delete("/webhooks/{webhook_id}.json")
    def delete_webhook(webhook_id: str) -> dict[str, Any]:
        with ctx.state.lock:
            if not webhook_id.isdigit() or ctx.state.shopify.webhooks.pop(int(webhook_id), None) is None:
                raise not_found()
        return {}

    return router
