"""Shopify fulfillments (fulfillment-order based), fulfillment events and inventory levels."""

from __future__ import annotations

import copy
from typing import Any

from fastapi import APIRouter, Request

from connectors.sandbox.config import event_statuses_for
from connectors.sandbox.shopify.context import ShopifyContext, errors, not_found, order_or_404
from connectors.sandbox.vendor_api import json_body


def _root(body: Any, key: str) -> dict[str, Any]:
    value = body.get(key) if isinstance(body, dict) else None
    if not isinstance(value, dict):
        raise errors(400, {key: "Required parameter missing or invalid"})
    return value


def _plan(ctx: ShopifyContext, groups: Any) -> list[tuple[dict[str, Any], dict[str, Any], int]]:
    """(fulfillment order, its line item, quantity) for every line to fulfil; 422 on anything invalid."""
    if not isinstance(groups, list) or not groups:
        raise errors(422, ["line_items_by_fulfillment_order must contain at least one fulfillment order"])
    plan, order_ids = [], set()
    for group in groups:
        fo_id = group.get("fulfillment_order_id") if isinstance(group, dict) else None
        fo = ctx.state.shopify.fulfillment_orders.get(fo_id) if isinstance(fo_id, int) else None
        if fo is None:
            raise errors(422, [f"Fulfillment order {fo_id} does not exist."])
        if fo["status"] not in ("open", "in_progress"):
            raise errors(422, [f"Fulfillment order {fo_id} has an unfulfillable status= {fo['status']}."])
        order_ids.add(fo["order_id"])
        lines = {line["id"]: line for line in fo["line_items"]}
        wanted = group.get("fulfillment_order_line_items")
        if wanted is None:  # omitted: everything still fulfillable
            plan += [
                (fo, line, line["fulfillable_quantity"]) for line in lines.values() if line["fulfillable_quantity"]
            ]
            continue
        for item in wanted if isinstance(wanted, list) else [None]:
            line = lines.get(item.get("id")) if isinstance(item, dict) else None
            quantity = item.get("quantity") if isinstance(item, dict) else None
            if line is None:
                raise errors(422, [f"Fulfillment order line item {item} does not belong to fulfillment order {fo_id}."])
            if not isinstance(quantity, int) or not 0 < quantity <= line["fulfillable_quantity"]:
                raise errors(422, ["Invalid fulfillment order line item quantity requested."])
            plan.append((fo, line, quantity))
    if len(order_ids) > 1:
        raise errors(422, ["All fulfillment orders must belong to the same order."])
    if not plan:
        raise errors(422, ["Fulfillment orders have no fulfillable line items."])
    return plan


def fulfil(
    ctx: ShopifyContext, groups: Any, tracking: dict[str, Any], notify_customer: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Fulfil the planned lines (REST `line_items_by_fulfillment_order` shape); returns copies of the fulfillment and
    its order, webhooks sent. Shared by the REST route and GraphQL `fulfillmentCreate`; 422 `VendorError`s."""
    with ctx.state.lock:
        plan = _plan(ctx, groups)
        order = ctx.state.shopify.orders[plan[0][0]["order_id"]]
        line_by_id = {line["id"]: line for line in order["line_items"]}
        stamp, fulfilled = ctx.ts(), []
        for fo, fo_line, quantity in plan:
            fo_line["fulfillable_quantity"] -= quantity
            line = line_by_id[fo_line["line_item_id"]]
            line["fulfillable_quantity"] -= quantity
            line["fulfillment_status"] = "fulfilled" if line["fulfillable_quantity"] == 0 else "partial"
            fulfilled.append({**line, "quantity": quantity})
            remaining = sum(item["fulfillable_quantity"] for item in fo["line_items"])
            fo["status"], fo["updated_at"] = ("closed" if remaining == 0 else "in_progress"), stamp
        number = tracking.get("number")
        fulfillment_id = ctx.new_id()
        fulfillment = {
            "id": fulfillment_id,
            "admin_graphql_api_id": f"gid://shopify/Fulfillment/{fulfillment_id}",
            "order_id": order["id"],
            "name": f"{order['name']}.{len(order['fulfillments']) + 1}",
            "status": "success",
            "service": "manual",
            "shipment_status": None,
            "location_id": plan[0][0]["assigned_location_id"],
            "created_at": stamp,
            "updated_at": stamp,
            "tracking_company": tracking.get("company"),
            "tracking_number": number,
            "tracking_numbers": [number] if number else [],
            "tracking_url": tracking.get("url"),
            "tracking_urls": [tracking["url"]] if tracking.get("url") else [],
            "notify_customer": notify_customer,
            "receipt": {},
            "line_items": fulfilled,
        }
        ctx.state.shopify.fulfillments[fulfillment_id] = fulfillment
        order["fulfillments"].append(fulfillment)
        done = all(line["fulfillable_quantity"] == 0 for line in order["line_items"])
        order["fulfillment_status"], order["updated_at"] = ("fulfilled" if done else "partial"), stamp
        fulfillment, order = copy.deepcopy(fulfillment), copy.deepcopy(order)
    ctx.emit("fulfillments/create", fulfillment)
    ctx.emit("orders/updated", order)
    return fulfillment, order


EVENT_DETAILS = ("city", "province", "country", "zip", "address1", "latitude", "longitude", "estimated_delivery_at")


def add_fulfillment_event(ctx: ShopifyContext, fulfillment: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """Record an event (`status`, `message`, `happened_at` and details, REST names) on a fulfillment; call with the
    lock held. Returns a copy; the caller emits `fulfillment_events/create` after releasing the lock."""
    event_id, stamp = ctx.new_id(), ctx.ts()
    event = {
        "id": event_id,
        "admin_graphql_api_id": f"gid://shopify/FulfillmentEvent/{event_id}",
        "fulfillment_id": fulfillment["id"],
        "order_id": fulfillment["order_id"],
        "shop_id": 1,
        "status": spec["status"],
        "message": spec.get("message"),
        "happened_at": spec.get("happened_at") or stamp,
        **{key: spec.get(key) for key in EVENT_DETAILS},
        "created_at": stamp,
        "updated_at": stamp,
    }
    ctx.state.shopify.fulfillment_events[event_id] = event
    fulfillment["shipment_status"], fulfillment["updated_at"] = spec["status"], stamp
    return dict(event)


def set_available(ctx: ShopifyContext, item_id: int, location_id: int, available: int) -> dict[str, Any]:
    """Set an absolute available quantity; call with the lock held. Returns the level (REST shape)."""
    level = {
        "inventory_item_id": item_id,
        "location_id": location_id,
        "available": available,
        "updated_at": ctx.ts(),
        "admin_graphql_api_id": f"gid://shopify/InventoryLevel/{location_id}?inventory_item_id={item_id}",
    }
    ctx.state.shopify.inventory_levels[(item_id, location_id)] = dict(level)
    return level


def fulfillment_router(ctx: ShopifyContext) -> APIRouter:
    """Mounted next to `admin.admin_router`, under `/admin/api/{version}`."""
    router = APIRouter()  # ctx.state.shopify is replaced on reset: never keep a reference to it

    @router.post("/fulfillments.json", status_code=201)
    async def create_fulfillment(request: Request) -> dict[str, Any]:
        body = await json_body(request, lambda message: errors(400, {"fulfillment": "Required parameter missing"}))
        spec = _root(body, "fulfillment")
        tracking = spec.get("tracking_info") or {}
        if not isinstance(tracking, dict) or not isinstance(spec.get("notify_customer", False), bool):
            raise errors(422, ["tracking_info must be an object and notify_customer a boolean"])
        groups = spec.get("line_items_by_fulfillment_order")
        fulfillment, _ = fulfil(ctx, groups, tracking, spec.get("notify_customer", False))
        return {"fulfillment": fulfillment}

    @router.get("/orders/{order_id}/fulfillments.json")
    def list_fulfillments(order_id: str) -> dict[str, Any]:
        with ctx.state.lock:
            return copy.deepcopy({"fulfillments": order_or_404(ctx, order_id)["fulfillments"]})

    def fulfillment_of(order_id: str, fulfillment_id: str) -> dict[str, Any]:
        order = order_or_404(ctx, order_id)
        found = ctx.state.shopify.fulfillments.get(int(fulfillment_id)) if fulfillment_id.isdigit() else None
        if found is None or found["order_id"] != order["id"]:
            raise not_found()
        return found

    @router.post("/orders/{order_id}/fulfillments/{fulfillment_id}/events.json", status_code=201)
    async def create_event(order_id: str, fulfillment_id: str, version: str, request: Request) -> dict[str, Any]:
        body = await json_body(request, lambda message: errors(400, {"event": "Required parameter missing"}))
        spec = _root(body, "event")
        status = spec.get("status")
        if status not in event_statuses_for(version, ctx.config.event_statuses):
            raise errors(422, {"status": ["is not included in the list"]})
        with ctx.state.lock:
            event = add_fulfillment_event(ctx, fulfillment_of(order_id, fulfillment_id), spec)
        ctx.emit("fulfillment_events/create", event)
        return {"fulfillment_event": event}

    @router.get("/orders/{order_id}/fulfillments/{fulfillment_id}/events.json")
    def list_events(order_id: str, fulfillment_id: str) -> dict[str, Any]:
        with ctx.state.lock:
            fulfillment = fulfillment_of(order_id, fulfillment_id)
            events = ctx.state.shopify.fulfillment_events.values()
            return copy.deepcopy(
                {"fulfillment_events": [e for e in events if e["fulfillment_id"] == fulfillment["id"]]}
            )

    @router.post("/inventory_levels/set.json")
    async def set_inventory_level(request: Request) -> dict[str, Any]:
        body = await json_body(
            request, lambda message: errors(400, {"inventory_item_id": "Required parameter missing"})
        )
        body = body if isinstance(body, dict) else {}
        for name in ("location_id", "inventory_item_id", "available"):
            if name not in body:
                raise errors(400, {name: "Required parameter missing or invalid"})
        item_id, location_id, available = body["inventory_item_id"], body["location_id"], body["available"]
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (item_id, location_id, available)):
            raise errors(422, ["location_id, inventory_item_id and available must be integers"])
        with ctx.state.lock:
            if item_id not in ctx.state.shopify.inventory_items:
                raise errors(422, [f"Inventory item {item_id} does not exist."])
            if location_id not in ctx.state.shopify.locations:
                raise errors(422, [f"Location {location_id} does not exist."])
            level = set_available(ctx, item_id, location_id, available)
        ctx.emit("inventory_levels/update", level)
        return {"inventory_level": level}

    @router.get("/inventory_levels.json")
    def list_inventory_levels(request: Request) -> dict[str, Any]:
        query = request.query_params
        items = {int(i) for i in query.get("inventory_item_ids", "").split(",") if i.strip().isdigit()}
        locations = {int(i) for i in query.get("location_ids", "").split(",") if i.strip().isdigit()}
        if not items and not locations:
            raise errors(422, ["inventory_item_ids or location_ids must be given"])
        with ctx.state.lock:
            levels = [  # level dicts are replaced on set, never mutated
                level
                for (item, location), level in ctx.state.shopify.inventory_levels.items()
                if (not items or item in items) and (not locations or location in locations)
            ]
        return {"inventory_levels": copy.deepcopy(levels)}

    return router
