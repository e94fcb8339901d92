"""Amazon sandbox control API (`/amazon/_sandbox/...`): inspect and reset state, create orders as a buyer would
(Unshipped MFN orders by default, any status on request), change an order's status, expire access tokens, and the
demo listings."""

from __future__ import annotations

import copy
import time
from typing import Any

from fastapi import APIRouter, Request

from connectors.sandbox.amazon.context import AmazonContext, amazon_time, sp_error
from connectors.sandbox.state import SandboxState
from connectors.sandbox.timestamps import parse_time
from connectors.sandbox.vendor_api import VendorError, json_body

DEMO_LISTINGS = {"ESB-TEE-RED-M": "B0SANDBOX1", "ESB-TEE-BLUE-L": "B0SANDBOX2", "ESB-MUG-WHITE": "B0SANDBOX3"}
STATUSES = ("Pending", "Unshipped", "PartiallyShipped", "Shipped", "Canceled", "Unfulfillable",
            "InvoiceUnconfirmed", "PendingAvailability")  # fmt: skip
DEMO_ADDRESS = {"Name": "Asha Rao", "AddressLine1": "12 MG Road", "City": "Bengaluru", "StateOrRegion": "Karnataka",
                "PostalCode": "560001", "CountryCode": "IN", "Phone": "9800000000"}  # fmt: skip


def _bad(message: str) -> VendorError:
    return sp_error(400, "InvalidInput", message)


def seed_listings(state: SandboxState) -> None:
    for sku, asin in DEMO_LISTINGS.items():
        state.amazon.listings[sku] = {"sku": sku, "asin": asin, "productType": "PRODUCT", "quantity": 0}


def _money(amount: float) -> dict[str, str]:
    return {"CurrencyCode": "INR", "Amount": f"{amount:.2f}"}


def new_order(ctx: AmazonContext, spec: dict[str, Any]) -> dict[str, Any]:
    """An order and its items (call with the lock held); `spec` as the `POST /orders` docstring says."""
    number = ctx.state.next_id(base=1_000_000)
    order_id = f"403-{number:07d}-{number * 7919 % 10_000_000:07d}"
    stamp = amazon_time(parse_time(spec["updated_at"])) if spec.get("updated_at") else amazon_time()
    status = spec.get("status", "Unshipped")
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    lines = spec.get("items") or [
        {"sku": spec.get("sku", "ESB-TEE-RED-M"), "quantity": spec.get("quantity", 1), "price": spec.get("price", 499)}
    ]
    items = []
    for index, line in enumerate(lines, start=1):
        quantity, price = int(line.get("quantity", 1)), float(line.get("price", 499))
        items.append({
            "ASIN": DEMO_LISTINGS.get(line["sku"], "B0UNKNOWN0"), "SellerSKU": line["sku"],
            "OrderItemId": f"{number}{index:03d}", "Title": line.get("title", line["sku"]),
            "QuantityOrdered": quantity, "QuantityShipped": 0, "ItemPrice": _money(price * quantity),
            "ItemTax": _money(0), "PromotionDiscount": _money(0), "IsGift": "false", "ConditionId": "New",
        })  # fmt: skip
    total = sum(float(item["ItemPrice"]["Amount"]) for item in items)
    cod = spec.get("payment_method") == "COD"
    order = {
        "AmazonOrderId": order_id, "PurchaseDate": stamp, "LastUpdateDate": stamp, "OrderStatus": status,
        "FulfillmentChannel": spec.get("fulfillment_channel", "MFN"), "SalesChannel": "Amazon.in",
        "ShipServiceLevel": "Std IN Dom_1", "OrderTotal": _money(total), "NumberOfItemsShipped": 0,
        "NumberOfItemsUnshipped": sum(item["QuantityOrdered"] for item in items),
        "PaymentMethod": "COD" if cod else "Other", "PaymentMethodDetails": ["CashOnDelivery" if cod else "Standard"],
        "MarketplaceId": spec.get("marketplace_id", ctx.config.marketplace_id), "OrderType": "StandardOrder",
        "EarliestShipDate": stamp, "LatestShipDate": stamp, "IsBusinessOrder": False, "IsPrime": False,
        "IsPremiumOrder": False, "IsReplacementOrder": False, "IsISPU": False,
        "ShipmentServiceLevelCategory": "Standard", "ShippingAddress": {**DEMO_ADDRESS, **(spec.get("address") or {})},
    }  # fmt: skip
    ctx.state.amazon.orders[order_id] = order
    ctx.state.amazon.order_items[order_id] = items
    return order


def control_router(ctx: AmazonContext) -> APIRouter:
    router, state = APIRouter(), ctx.state

    @router.get("/state")
    def snapshot() -> dict[str, Any]:
        with state.lock:
            data = state.amazon
            return copy.deepcopy({
                "orders": list(data.orders.values()), "order_items": data.order_items,
                "confirmations": data.confirmations, "listings": list(data.listings.values()),
                "token_calls": data.token_calls, **data.throttle.stats(),
            })  # fmt: skip

    @router.post("/reset")
    def reset() -> dict[str, Any]:
        state.reset("amazon")
        return {"reset": "amazon"}

    @router.post("/expire_tokens")
    def expire_tokens() -> dict[str, Any]:
        """Every access token issued until now answers 403 `Unauthorized` (expired) from now on."""
        with state.lock:
            state.amazon.tokens_valid_after = time.time()
            return {"expired_before": state.amazon.tokens_valid_after}

    @router.post("/orders", status_code=201)
    async def create(request: Request) -> dict[str, Any]:
        """Body (all optional): sku, quantity, price, items[{sku, quantity, price, title}], status (Unshipped),
        payment_method (COD | Other), fulfillment_channel (MFN | AFN), marketplace_id, address{...}, updated_at."""
        spec = await json_body(request, _bad, optional=True)
        try:
            with state.lock:
                order = copy.deepcopy(new_order(ctx, spec))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise _bad(f"invalid order spec: {exc}") from None
        return {"order": order, "items": state.amazon.order_items[order["AmazonOrderId"]]}

    @router.post("/orders/{order_id}/status")
    async def move(order_id: str, request: Request) -> dict[str, Any]:
        """Body: {"status", "updated_at"?}: any OrderStatus (Canceled, Shipped, ...); LastUpdateDate moves."""
        body = await json_body(request, _bad)
        if body.get("status") not in STATUSES:
            raise _bad(f"unknown status {body.get('status')!r}")
        with state.lock:
            order = state.amazon.orders.get(order_id)
            if order is None:
                raise sp_error(404, "NotFound", f"Order {order_id} not found")
            stamp = amazon_time(parse_time(body["updated_at"])) if body.get("updated_at") else amazon_time()
            order.update(OrderStatus=body["status"], LastUpdateDate=stamp)
            return {"order": copy.deepcopy(order)}

    return router
