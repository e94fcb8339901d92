"""The wc/v3 routes the apps use: orders (list with `modified_after` and `X-WP-Total`/`X-WP-TotalPages` paging,
read, update, notes), products and variations (`stock_quantity`), and webhooks (created with a ping)."""

from __future__ import annotations

import copy
import math
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from connectors.sandbox.timestamps import now, parse_time
from connectors.sandbox.vendor_api import json_body
from connectors.sandbox.woocommerce.authentication import wc_error
from connectors.sandbox.woocommerce.store import (
    ORDER_STATUSES,
    USER_AGENT,
    WooCommerceContext,
    invalid_id,
    wc_date,
)

PRODUCT_FIELDS = ("stock_quantity", "manage_stock", "stock_status", "price", "regular_price", "name")


def _invalid_param(name: str, reason: str) -> Any:
    return wc_error("rest_invalid_param", f"Invalid parameter(s): {name}", 400, params={name: reason})


def _bad_body(message: str) -> Any:
    return wc_error("rest_invalid_json", message, 400)


def _int_param(request: Request, name: str, default: int, low: int, high: int | None = None) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < low or (high is not None and int(raw) > high):
        bounds = f"between {low} (inclusive) and {high} (inclusive)" if high else f"greater than or equal to {low}"
        raise _invalid_param(name, f"{name} must be {bounds}.")
    return int(raw)


def _date_param(request: Request, name: str) -> str | None:
    """A date filter as the `_gmt` field compares it (`dates_are_gmt=true`; the demo store runs in UTC anyway)."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        return wc_date(parse_time(raw))
    except ValueError:
        raise _invalid_param(name, f"{name} is not a valid date.") from None


def _paged(request: Request, records: list[dict[str, Any]], response: Response) -> list[dict[str, Any]]:
    page = _int_param(request, "page", 1, 1)
    per_page = _int_param(request, "per_page", 10, 1, 100)
    total, pages = len(records), math.ceil(len(records) / per_page)
    response.headers["X-WP-Total"], response.headers["X-WP-TotalPages"] = str(total), str(pages)
    links = []
    base = str(request.url.remove_query_params("page"))
    joiner = "&" if "?" in base else "?"
    if page > 1:
        links.append(f'<{base}{joiner}page={page - 1}>; rel="prev"')
    if page < pages:
        links.append(f'<{base}{joiner}page={page + 1}>; rel="next"')
    if links:
        response.headers["Link"] = ", ".join(links)
    return copy.deepcopy(records[(page - 1) * per_page : page * per_page])


def rest_router(ctx: WooCommerceContext) -> APIRouter:
    router = APIRouter()
    data = lambda: ctx.state.woocommerce  # noqa: E731 (replaced on reset: read it under the lock)

    @router.get("/orders")
    def list_orders(request: Request, response: Response) -> list[dict[str, Any]]:
        after, before = _date_param(request, "modified_after"), _date_param(request, "modified_before")
        statuses = [s for s in request.query_params.get("status", "any").split(",") if s]
        for status in statuses:
            if status != "any" and status not in ORDER_STATUSES:
                raise _invalid_param("status", f"status[0] is not one of any, {', '.join(ORDER_STATUSES)}.")
        include = {int(i) for i in request.query_params.get("include", "").split(",") if i.strip().isdigit()}
        with ctx.state.lock:
            orders = [
                o
                for o in data().orders.values()
                if ("any" in statuses and o["status"] != "trash" or o["status"] in statuses)
                and (not include or o["id"] in include)
                and (after is None or o["date_modified_gmt"] > after)
                and (before is None or o["date_modified_gmt"] < before)
            ]
            orders.sort(
                key=lambda o: (o["date_created_gmt"], o["id"]), reverse=request.query_params.get("order") != "asc"
            )
            return _paged(request, orders, response)

    def _order(order_id: int) -> dict[str, Any]:
        order = data().orders.get(order_id)
        if order is None:
            raise wc_error("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", 404)
        return order

    @router.get("/orders/{order_id}")
    def get_order(order_id: int) -> dict[str, Any]:
        with ctx.state.lock:
            return copy.deepcopy(_order(order_id))

    @router.put("/orders/{order_id}")
    async def update_order(order_id: int, request: Request) -> dict[str, Any]:
        body = await json_body(request, _bad_body)
        status = body.get("status")
        if status is not None and status not in ORDER_STATUSES:
            raise _invalid_param("status", f"status is not one of {', '.join(ORDER_STATUSES)}.")
        with ctx.state.lock:
            order = _order(order_id)
            for name in ("status", "customer_note", "transaction_id"):
                if name in body:
                    order[name] = body[name]
            order["meta_data"].extend(body.get("meta_data", []))
            if status == "completed":
                order["date_completed"] = wc_date(now())
            ctx.touch(order)
            answer = copy.deepcopy(order)
        ctx.emit("order.updated", answer)
        return answer

    @router.post("/orders/{order_id}/notes", status_code=201)
    async def add_note(order_id: int, request: Request) -> dict[str, Any]:
        body = await json_body(request, _bad_body)
        if not body.get("note"):
            raise wc_error("rest_missing_callback_param", "Missing parameter(s): note", 400, params=["note"])
        with ctx.state.lock:
            _order(order_id)
            stamp = wc_date(now())
            note = {"id": ctx.new_id(), "author": "WooCommerce", "date_created": stamp, "date_created_gmt": stamp}
            note.update(note=str(body["note"]), customer_note=bool(body.get("customer_note", False)))
            data().order_notes[order_id].append(note)
            return dict(note)

    @router.get("/products")
    def list_products(request: Request, response: Response) -> list[dict[str, Any]]:
        sku = request.query_params.get("sku")
        with ctx.state.lock:
            products = [p for p in data().products.values() if p["type"] != "variation"]
            if sku is not None:
                products = [p for p in data().products.values() if p["sku"] in sku.split(",")]
            return _paged(request, products, response)

    def _update_product(product: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        quantity = body.get("stock_quantity")
        if quantity is not None and (not isinstance(quantity, int) or isinstance(quantity, bool)):
            raise _invalid_param("stock_quantity", "stock_quantity is not of type integer.")
        for name in PRODUCT_FIELDS:
            if name in body:
                product[name] = body[name]
        if product.get("manage_stock") and product.get("stock_quantity") is not None:
            product["stock_status"] = "instock" if product["stock_quantity"] > 0 else "outofstock"
        ctx.touch(product)
        return copy.deepcopy(product)

    @router.put("/products/{product_id}")
    async def update_product(product_id: int, request: Request) -> dict[str, Any]:
        body = await json_body(request, _bad_body)
        with ctx.state.lock:
            product = data().products.get(product_id)
            if product is None or product["type"] == "variation":
                raise invalid_id("product")
            answer = _update_product(product, body)
        ctx.emit("product.updated", answer)
        return answer

    @router.put("/products/{product_id}/variations/{variation_id}")
    async def update_variation(product_id: int, variation_id: int, request: Request) -> dict[str, Any]:
        body = await json_body(request, _bad_body)
        with ctx.state.lock:
            variation = data().products.get(variation_id)
            if variation is None or variation["parent_id"] != product_id:
                raise invalid_id("product_variation")
            return _update_product(variation, body)

    @router.post("/webhooks", status_code=201)
    async def create_webhook(request: Request) -> dict[str, Any]:
        """Saved, then pinged with `webhook_id=<id>` (form body, unsigned); the ping's outcome does not change
        the answer, but a webhook whose ping did not get 200 stays `pending_delivery`."""
        body = await json_body(request, _bad_body)
        missing = [name for name in ("topic", "delivery_url") if not body.get(name)]
        if missing:
            raise wc_error("rest_missing_callback_param", f"Missing parameter(s): {', '.join(missing)}", 400)
        with ctx.state.lock:
            hook_id = ctx.new_id()
            stamp = wc_date(now())
            hook = {
                "id": hook_id,
                "name": body.get("name") or f"Webhook created on {stamp}",
                "status": body.get("status", "active"),
                "topic": body["topic"],
                "resource": body["topic"].partition(".")[0],
                "event": body["topic"].partition(".")[2],
                "delivery_url": body["delivery_url"],
                "secret": body.get("secret") or ctx.config.webhook_secret,
                "failure_count": 0,
                "pending_delivery": True,
                "date_created": stamp,
                "date_created_gmt": stamp,
            }
            data().webhooks[hook_id] = hook
        ping = await run_in_threadpool(
            ctx.sender.send,
            "woocommerce",
            "ping",
            hook["delivery_url"],
            f"webhook_id={hook_id}".encode(),
            {"User-Agent": USER_AGENT, "Content-Type": "application/x-www-form-urlencoded"},
            wait=True,
        )
        with ctx.state.lock:
            hook["pending_delivery"] = not (ping.attempts and ping.attempts[-1]["status"] == 200)
            return {k: v for k, v in hook.items() if k != "secret"}

    @router.get("/webhooks")
    def list_webhooks(request: Request, response: Response) -> list[dict[str, Any]]:
        with ctx.state.lock:
            hooks = [{k: v for k, v in h.items() if k != "secret"} for h in data().webhooks.values()]
            return _paged(request, hooks, response)

    return router
