"""The wc/v3 routes the apps use: orders (list with `modified_after` and `X-WP-Total`/`X-WP-TotalPages` paging,
read, update, notes), products and variations (`stock_quantity`; found by a comma-separated list of SKUs; set 100
a request with `products/batch`), and webhooks (created with a ping)."""

from __future__ import annotations

import copy
import math
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from connectors.sandbox.timestamps import now, parse_time
from connectors.sandbox.vendor_api import VendorError, json_body
from connectors.sandbox.woocommerce.authentication import wc_error
from connectors.sandbox.woocommerce.store import (
    ORDER_STATUSES,
    USER_AGENT,
    WooCommerceContext,
    invalid_id,
    new_product,
    wc_date,
)

PRODUCT_FIELDS = ("stock_quantity", "manage_stock", "stock_status", "price", "regular_price", "name")
BATCH_LIMIT = 100  # objects per batch request, create + update + delete (`woocommerce_rest_batch_items_limit`)


def _invalid_param(name: str, reason: str) -> Any:
    return wc_error("rest_invalid_param", f"Invalid parameter(s): {name}", 400, params={name: reason})


def _as_id(value: Any) -> int:
    """PHP's `(int)` of an id as JSON gives it: a number or a numeric string, else 0."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return 0


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
        """`sku` is one SKU or a comma-separated list (the whole string counts as a SKU too, as WooCommerce has
        it); a SKU filter also finds variations."""
        sku = request.query_params.get("sku")
        skus = {*sku.split(","), sku} if sku else set()
        with ctx.state.lock:
            if skus:
                products = [p for p in data().products.values() if p["sku"] in skus]
            else:
                products = [p for p in data().products.values() if p["type"] != "variation"]
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

    @router.post("/products/batch")
    async def batch_products(request: Request) -> dict[str, Any]:
        """`{"create": [product], "update": [{"id", ...}], "delete": [id]}`, at most `BATCH_LIMIT` objects in all
        (else 413 `woocommerce_rest_request_entity_too_large`, nothing applied). Not atomic: each object is
        created, updated or deleted on its own and the answer lists, per array sent, the product or
        `{"id", "error": {"code", "message", "data"}}` in the order sent. Updates take any product id,
        variations too (the products controller loads any product object)."""
        body = await json_body(request, _bad_body)
        if not isinstance(body, dict):
            raise _bad_body("request body is not a JSON object")
        batch = {name: body.get(name) or [] for name in ("create", "update", "delete")}
        for name, entries in batch.items():
            if not isinstance(entries, list):
                raise _invalid_param(name, f"{name} is not of type array.")
        if sum(len(entries) for entries in batch.values()) > BATCH_LIMIT:
            raise wc_error(
                "woocommerce_rest_request_entity_too_large",
                f"Unable to accept more than {BATCH_LIMIT} items for this request.",
                413,
            )
        answer: dict[str, list[Any]] = {}
        updated: list[dict[str, Any]] = []
        with ctx.state.lock:
            for entry in batch["create"]:
                answer.setdefault("create", []).append(_batch_create(entry))
            for entry in batch["update"]:
                result = _batch_update(entry)
                answer.setdefault("update", []).append(result)
                if "error" not in result and result["type"] != "variation":
                    updated.append(result)
            for entry in batch["delete"]:
                product_id = _as_id(entry)
                if product_id == 0:
                    continue  # WooCommerce skips what is not an id
                product = data().products.pop(product_id, None)
                result = copy.deepcopy(product) if product else _item_error(product_id, invalid_id("product"))
                answer.setdefault("delete", []).append(result)
        for product in updated:
            ctx.emit("product.updated", product)
        return answer

    def _item_error(product_id: Any, error: Any) -> dict[str, Any]:
        return {"id": product_id, "error": error.body}

    def _batch_create(entry: Any) -> dict[str, Any]:
        if not isinstance(entry, dict):
            return _item_error(0, _bad_body("a product must be an object"))
        if entry.get("id"):
            return _item_error(0, wc_error("woocommerce_rest_product_exists", "Cannot create existing product.", 400))
        sku = str(entry.get("sku") or "")
        if sku and any(p["sku"] == sku for p in data().products.values()):
            error = wc_error("product_invalid_sku", "Invalid or duplicated SKU.", 400)
            return _item_error(0, error)
        fields = {name: entry[name] for name in PRODUCT_FIELDS if name in entry}
        quantity = fields.get("stock_quantity")
        if quantity is not None and (not isinstance(quantity, int) or isinstance(quantity, bool)):
            return _item_error(0, _invalid_param("stock_quantity", "stock_quantity is not of type integer."))
        return copy.deepcopy(new_product(ctx, sku, **fields))

    def _batch_update(entry: Any) -> dict[str, Any]:
        product_id = _as_id(entry.get("id") if isinstance(entry, dict) else None)
        product = data().products.get(product_id) if product_id else None
        if product is None or not isinstance(entry, dict):
            error = wc_error("woocommerce_rest_product_invalid_id", "Invalid ID.", 400)  # update_item: 400
            return _item_error(entry.get("id") if isinstance(entry, dict) else None, error)
        try:
            return _update_product(product, entry)
        except VendorError as refused:
            return _item_error(product_id, refused)

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
