"""The seller API behind `?authtoken=`: orders (`GET /v1/merchant/{mid}/orders.json?limit&status`), acknowledge
(`POST .../fulfillment/ack/{order_id} {item_ids, status: 1}`), create a fulfillment with tracking (`POST
.../fulfillment/create/{order_id}`), mark fulfillments shipped (`POST .../fulfillment/bulkmarkshipped?
fulfillment_ids=`) and stock (`POST` on the catalog host `.../product.json {"data": [{sku, qty, ...}]}`).

Documented by community clients: the paths, parameters and request bodies. Assumed: the order JSON, the numeric
item statuses (2 new, 5 acknowledged, 13 fulfillment created, 15 shipped, 6 cancelled), the window parameters
`updated_after`/`updated_before`, `offset` paging, and the answer bodies."""

from __future__ import annotations

import copy
from typing import Any

from fastapi import APIRouter, Request

from connectors.sandbox.config import PaytmMallConfig
from connectors.sandbox.paytm_mall.persona import failure
from connectors.sandbox.state import SandboxState
from connectors.sandbox.timestamps import iso_z, now, parse_time
from connectors.sandbox.vendor_api import json_body

NEW, ACKNOWLEDGED, FULFILLMENT_CREATED, SHIPPED, CANCELLED = 2, 5, 13, 15, 6


def order_status(order: dict[str, Any]) -> int:
    """An order's status: the lowest of its items' (the step the order still waits on)."""
    return min(int(item["status"]) for item in order["items"])


def touch(order: dict[str, Any]) -> None:
    order["status"] = order_status(order)
    order["updated_at"] = iso_z(now())


def _order(config: PaytmMallConfig, state: SandboxState, mid: str, order_id: str) -> dict[str, Any]:
    if mid != config.mid:
        raise failure(403, f"authtoken is not allowed for merchant {mid}")
    order = state.paytm_mall.orders.get(order_id)
    if order is None:
        raise failure(404, f"Order {order_id} not found")
    return order


def _ids(value: Any, name: str) -> list[str]:
    if not isinstance(value, list) or not value:
        raise failure(400, f"{name} must be a non-empty list")
    return [str(item) for item in value]


def fulfillment_router(config: PaytmMallConfig, state: SandboxState) -> APIRouter:
    router, data = APIRouter(), lambda: state.paytm_mall

    @router.get("/v1/merchant/{mid}/orders.json")
    def orders(mid: str, request: Request) -> list[dict[str, Any]]:
        if mid != config.mid:
            raise failure(403, f"authtoken is not allowed for merchant {mid}")
        query = request.query_params
        try:
            limit, offset = int(query.get("limit", 25)), int(query.get("offset", 0))
            status = int(query["status"]) if query.get("status") else None
            after = parse_time(query["updated_after"]) if query.get("updated_after") else None
            before = parse_time(query["updated_before"]) if query.get("updated_before") else None
        except (TypeError, ValueError):
            raise failure(400, "limit, offset and status are numbers; updated_after/_before ISO-8601") from None
        if not 1 <= limit <= config.page_size_max or offset < 0:
            raise failure(400, f"limit must be between 1 and {config.page_size_max}")
        with state.lock:
            found = [
                order
                for order in data().orders.values()
                if (status is None or order_status(order) == status)
                and (after is None or parse_time(order["updated_at"]) >= after)
                and (before is None or parse_time(order["updated_at"]) < before)
            ]
            found.sort(key=lambda order: (parse_time(order["updated_at"]), order["id"]))
            return copy.deepcopy(found[offset : offset + limit])

    @router.post("/v1/merchant/{mid}/fulfillment/ack/{order_id}")
    async def acknowledge(mid: str, order_id: str, request: Request) -> dict[str, Any]:
        body = await json_body(request, lambda message: failure(400, message))
        item_ids = _ids(body.get("item_ids") if isinstance(body, dict) else None, "item_ids")
        if body.get("status") != 1:
            raise failure(400, "status must be 1 (accept)")
        with state.lock:
            order = _order(config, state, mid, order_id)
            items = {str(item["id"]): item for item in order["items"]}
            unknown = [i for i in item_ids if i not in items]
            if unknown:
                raise failure(400, f"items {unknown} are not in order {order_id}")
            if any(items[i]["status"] == CANCELLED for i in item_ids):
                raise failure(400, "cancelled items cannot be acknowledged")
            for i in item_ids:  # acknowledging again changes nothing
                items[i]["status"] = max(items[i]["status"], ACKNOWLEDGED)
            touch(order)
        return {"status": "SUCCESS", "order_id": order_id, "item_ids": item_ids}

    @router.post("/v1/merchant/{mid}/fulfillment/create/{order_id}")
    async def create(mid: str, order_id: str, request: Request) -> dict[str, Any]:
        body = await json_body(request, lambda message: failure(400, message))
        if not isinstance(body, dict):
            raise failure(400, "body must be an object")
        item_ids = _ids(body.get("order_item_ids"), "order_item_ids")
        if not body.get("tracking_number") or body.get("shipper_id") in (None, ""):
            raise failure(400, "tracking_number and shipper_id are required")
        with state.lock:
            order = _order(config, state, mid, order_id)
            items = {str(item["id"]): item for item in order["items"]}
            for i in item_ids:
                if i not in items:
                    raise failure(400, f"item {i} is not in order {order_id}")
                if items[i]["status"] != ACKNOWLEDGED:
                    raise failure(400, f"item {i} is not acknowledged or already fulfilled")
            fulfillment_id = str(state.next_id(base=70_000_000))
            fulfillment = {
                "id": fulfillment_id, "order_id": order_id, "order_item_ids": item_ids,
                "tracking_number": str(body["tracking_number"]), "shipper_id": body["shipper_id"],
                "shipping_description": body.get("shipping_description", ""),
                "tracking_url": body.get("tracking_url", ""), "weight": body.get("weight", 0),
                "status": "CREATED", "created_at": iso_z(now()),
            }  # fmt: skip
            data().fulfillments[fulfillment_id] = fulfillment
            for i in item_ids:
                items[i]["status"], items[i]["fulfillment_id"] = FULFILLMENT_CREATED, fulfillment_id
            touch(order)
            return copy.deepcopy(fulfillment)

    @router.post("/v1/merchant/{mid}/fulfillment/bulkmarkshipped")
    def mark_shipped(mid: str, fulfillment_ids: str = "") -> dict[str, Any]:
        if mid != config.mid:
            raise failure(403, f"authtoken is not allowed for merchant {mid}")
        ids = [part for part in fulfillment_ids.split(",") if part]
        if not ids:
            raise failure(400, "fulfillment_ids is required")
        results = []
        with state.lock:
            for fulfillment_id in ids:
                fulfillment = data().fulfillments.get(fulfillment_id)
                if fulfillment is None:
                    results.append({"id": fulfillment_id, "status": "FAILURE", "message": "Fulfillment not found"})
                    continue
                fulfillment["status"] = "SHIPPED"
                order = data().orders[fulfillment["order_id"]]
                for item in order["items"]:
                    if str(item["id"]) in fulfillment["order_item_ids"]:
                        item["status"] = SHIPPED
                touch(order)
                results.append({"id": fulfillment_id, "status": "SUCCESS"})
        return {"status": "SUCCESS", "fulfillments": results}

    return router


def catalog_router(config: PaytmMallConfig, state: SandboxState) -> APIRouter:
    router = APIRouter()

    @router.get("/v1/merchant/{mid}/catalog.json")
    def catalog(mid: str) -> dict[str, Any]:
        if mid != config.mid:
            raise failure(403, f"authtoken is not allowed for merchant {mid}")
        with state.lock:
            return {"data": copy.deepcopy(list(state.paytm_mall.products.values()))}

    @router.post("/v1/merchant/{mid}/product.json")
    async def update(mid: str, request: Request) -> dict[str, Any]:
        if mid != config.mid:
            raise failure(403, f"authtoken is not allowed for merchant {mid}")
        body = await json_body(request, lambda message: failure(400, message))
        rows = body.get("data") if isinstance(body, dict) else None
        if not isinstance(rows, list) or not rows:
            raise failure(400, "data must be a non-empty list")
        results = []
        with state.lock:
            for row in rows:
                sku = str(row.get("sku", "")) if isinstance(row, dict) else ""
                product = state.paytm_mall.products.get(sku)
                if product is None:
                    results.append({"sku": sku, "status": "FAILURE", "message": "SKU not found"})
                    continue
                try:
                    changes = {key: int(row[key]) for key in ("qty", "status") if key in row}
                    changes.update({key: float(row[key]) for key in ("price", "mrp") if key in row})
                except (TypeError, ValueError):
                    results.append({"sku": sku, "status": "FAILURE", "message": "qty, status, price, mrp: numbers"})
                    continue
                if changes.get("qty", 0) < 0:
                    results.append({"sku": sku, "status": "FAILURE", "message": "qty must not be negative"})
                    continue
                product.update(changes)
                results.append({"sku": sku, "status": "SUCCESS"})
        return {"status": "SUCCESS", "data": results}

    return router
