"""Orders v0: `getOrders` (MarketplaceIds; CreatedAfter or LastUpdatedAfter, and their Before; OrderStatuses,
FulfillmentChannels, MaxResultsPerPage; a `NextToken` page repeats MarketplaceIds and keeps the first page's
filters), `getOrder`, `getOrderItems` and `confirmShipment` (204; the order becomes Shipped or PartiallyShipped)."""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from typing import Any

from fastapi import APIRouter, Request, Response

from connectors.sandbox.amazon.context import AmazonContext, amazon_time, sp_error
from connectors.sandbox.timestamps import now, parse_time
from connectors.sandbox.vendor_api import VendorError, json_body

SHIPPABLE = ("Unshipped", "PartiallyShipped")
LATEST_BEFORE = dt.timedelta(minutes=2)  # ...Before must be at least two minutes before the request


def _bad(message: str) -> VendorError:
    return sp_error(400, "InvalidInput", message)


def _list_param(request: Request, name: str) -> list[str]:
    """Amazon's array parameters are comma-separated; clients also repeat the parameter."""
    return [part for value in request.query_params.getlist(name) for part in value.split(",") if part]


def _time_param(request: Request, name: str) -> dt.datetime | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        return parse_time(raw)
    except (ValueError, TypeError):
        raise _bad(f"{name} must be an ISO 8601 date-time") from None


def _query(request: Request) -> dict[str, Any]:
    """The first page's filters, checked as getOrders checks them."""
    created, updated = _time_param(request, "CreatedAfter"), _time_param(request, "LastUpdatedAfter")
    if created and updated:
        raise _bad("Only one of CreatedAfter and LastUpdatedAfter may be specified")
    if not created and not updated:
        raise _bad("Either CreatedAfter or LastUpdatedAfter must be specified")
    field = "PurchaseDate" if created else "LastUpdateDate"
    before = _time_param(request, "CreatedBefore" if created else "LastUpdatedBefore")
    if before is not None and before > now() - LATEST_BEFORE:
        raise _bad("Date must be no later than 2 minutes before the time that the request was submitted")
    try:
        size = int(request.query_params.get("MaxResultsPerPage", "100"))
    except ValueError:
        size = 0
    if not 1 <= size <= 100:
        raise _bad("MaxResultsPerPage must be between 1 and 100")
    return {
        "field": field, "after": (created or updated).isoformat(), "before": before.isoformat() if before else None,
        "statuses": _list_param(request, "OrderStatuses"), "channels": _list_param(request, "FulfillmentChannels"),
        "size": size,
    }  # fmt: skip


def _matches(query: dict[str, Any], marketplaces: list[str], order: dict[str, Any]) -> bool:
    moment = parse_time(order[query["field"]])
    return (
        order["MarketplaceId"] in marketplaces
        and moment >= parse_time(query["after"])
        and (query["before"] is None or moment < parse_time(query["before"]))
        and (not query["statuses"] or order["OrderStatus"] in query["statuses"])
        and (not query["channels"] or order["FulfillmentChannel"] in query["channels"])
    )


def _check_package(ctx: AmazonContext, order_id: str, body: Any) -> dict[str, Any]:
    """The confirmShipment body's packageDetail, checked against the order (call with the lock held)."""
    if not isinstance(body, dict) or body.get("marketplaceId") != ctx.state.amazon.orders[order_id]["MarketplaceId"]:
        raise _bad("marketplaceId is missing or is not the order's marketplace")
    package = body.get("packageDetail")
    if not isinstance(package, dict):
        raise _bad("packageDetail is required")
    for name in ("packageReferenceId", "carrierCode", "trackingNumber", "shipDate"):
        if not package.get(name):
            raise _bad(f"packageDetail.{name} is required")
    if package["carrierCode"] == "Other" and not package.get("carrierName"):
        raise _bad("packageDetail.carrierName is required when carrierCode is Other")
    known = {item["OrderItemId"]: item for item in ctx.state.amazon.order_items[order_id]}
    lines = package.get("orderItems")
    if not isinstance(lines, list) or not lines:
        raise _bad("packageDetail.orderItems must list at least one item")
    for line in lines:
        item = known.get(str(line.get("orderItemId"))) if isinstance(line, dict) else None
        if item is None:
            raise _bad(f"orderItemId {line!r} is not an item of order {order_id}")
        quantity = line.get("quantity", item["QuantityOrdered"] - item["QuantityShipped"])
        if not isinstance(quantity, int) or not 1 <= quantity <= item["QuantityOrdered"] - item["QuantityShipped"]:
            raise _bad(f"quantity of orderItemId {item['OrderItemId']} exceeds what is left to ship")
    refs = {p["packageReferenceId"] for p in ctx.state.amazon.confirmations.get(order_id, [])}
    if str(package["packageReferenceId"]) in refs:
        raise _bad(f"packageReferenceId {package['packageReferenceId']} is already confirmed for order {order_id}")
    return package


def _ship(ctx: AmazonContext, order_id: str, package: dict[str, Any]) -> None:
    """Record the package and move the items and the order along (call with the lock held)."""
    data = ctx.state.amazon
    items = {item["OrderItemId"]: item for item in data.order_items[order_id]}
    for line in package["orderItems"]:
        item = items[str(line["orderItemId"])]
        item["QuantityShipped"] += line.get("quantity", item["QuantityOrdered"] - item["QuantityShipped"])
    data.confirmations.setdefault(order_id, []).append(copy.deepcopy(package))
    order = data.orders[order_id]
    shipped = sum(item["QuantityShipped"] for item in items.values())
    ordered = sum(item["QuantityOrdered"] for item in items.values())
    order.update(NumberOfItemsShipped=shipped, NumberOfItemsUnshipped=ordered - shipped,
                 OrderStatus="Shipped" if shipped == ordered else "PartiallyShipped",
                 LastUpdateDate=amazon_time())  # fmt: skip


def orders_router(ctx: AmazonContext) -> APIRouter:
    router, state = APIRouter(), ctx.state

    def page(query: dict[str, Any], marketplaces: list[str], offset: int) -> dict[str, Any]:
        """One page (call with the lock held): oldest first by the filtered date, ties by order id."""
        found = sorted(
            (order for order in state.amazon.orders.values() if _matches(query, marketplaces, order)),
            key=lambda order: (parse_time(order[query["field"]]), order["AmazonOrderId"]),
        )
        size = query["size"]
        payload: dict[str, Any] = {"Orders": copy.deepcopy(found[offset : offset + size])}
        if offset + size < len(found):
            token = uuid.uuid4().hex
            state.amazon.next_tokens[token] = {"query": query, "offset": offset + size}
            payload["NextToken"] = token
        bound = "CreatedBefore" if query["field"] == "PurchaseDate" else "LastUpdatedBefore"
        payload[bound] = amazon_time(parse_time(query["before"]) if query["before"] else now() - LATEST_BEFORE)
        return {"payload": payload}

    @router.get("/orders/v0/orders")
    def get_orders(request: Request) -> dict[str, Any]:
        marketplaces = _list_param(request, "MarketplaceIds")
        if not marketplaces:
            raise _bad("Missing required 'MarketplaceIds'")
        token = request.query_params.get("NextToken")
        with state.lock:
            if token is None:
                return page(_query(request), marketplaces, 0)
            cursor = state.amazon.next_tokens.get(token)
            if cursor is None:
                raise _bad("Invalid NextToken")
            return page(cursor["query"], marketplaces, cursor["offset"])

    def order_of(order_id: str) -> dict[str, Any]:
        order = state.amazon.orders.get(order_id)
        if order is None:
            raise sp_error(404, "NotFound", f"Order {order_id} not found")
        return order

    @router.get("/orders/v0/orders/{order_id}")
    def get_order(order_id: str) -> dict[str, Any]:
        with state.lock:
            return {"payload": copy.deepcopy(order_of(order_id))}

    @router.get("/orders/v0/orders/{order_id}/orderItems")
    def get_order_items(order_id: str) -> dict[str, Any]:
        with state.lock:
            order_of(order_id)
            items = copy.deepcopy(state.amazon.order_items[order_id])
        return {"payload": {"AmazonOrderId": order_id, "OrderItems": items}}

    @router.post("/orders/v0/orders/{order_id}/shipmentConfirmation", status_code=204)
    async def confirm_shipment(order_id: str, request: Request) -> Response:
        body = await json_body(request, _bad)
        with state.lock:
            order = order_of(order_id)
            if order["OrderStatus"] not in SHIPPABLE:
                raise _bad(f"Order {order_id} is {order['OrderStatus']}: only {' or '.join(SHIPPABLE)} orders ship")
            _ship(ctx, order_id, _check_package(ctx, order_id, body))
        return Response(status_code=204)

    return router
