"""Paytm Mall sandbox control API (`/paytm_mall/_sandbox/...`): inspect and reset state, place orders as a buyer
would (status 2, awaiting acknowledgement), cancel them, seed products, expire authtokens."""

from __future__ import annotations

import copy
import time
from typing import Any

from fastapi import APIRouter, Request

from connectors.sandbox.config import PaytmMallConfig
from connectors.sandbox.paytm_mall.fulfillment import CANCELLED, NEW, touch
from connectors.sandbox.paytm_mall.persona import failure
from connectors.sandbox.state import SandboxState
from connectors.sandbox.timestamps import iso_z, now, parse_time
from connectors.sandbox.vendor_api import json_body

DEMO_PRODUCTS = ("ESB-TEE-RED-M", "ESB-TEE-BLUE-L", "ESB-MUG-WHITE")


def seed_products(state: SandboxState) -> None:
    for sku in DEMO_PRODUCTS:
        state.paytm_mall.products[sku] = {"sku": sku, "qty": 0, "price": 499.0, "mrp": 599.0, "status": 1}


def new_order(state: SandboxState, spec: dict[str, Any]) -> dict[str, Any]:
    """An order awaiting acknowledgement (call with the lock held); `spec` as `POST /orders` says."""
    number = state.next_id(base=100_000_000)
    stamp = iso_z(parse_time(spec["updated_at"])) if spec.get("updated_at") else iso_z(now())
    lines = spec.get("items") or [
        {"sku": spec.get("sku", "ESB-TEE-RED-M"), "qty": spec.get("qty", 1), "price": spec.get("price", 499)}
    ]
    items = [
        {"id": str(number * 10 + index), "sku": line["sku"], "name": line.get("name", line["sku"]),
         "qty": int(line.get("qty", 1)), "price": float(line.get("price", 499)),
         "selling_price": float(line.get("price", 499)) * int(line.get("qty", 1)), "status": NEW}
        for index, line in enumerate(lines, start=1)
    ]  # fmt: skip
    order = {
        "id": str(number), "created_at": stamp, "updated_at": stamp, "status": NEW,
        "payment_method": spec.get("payment_method", "PREPAID"), "customer_firstname": "Asha",
        "customer_lastname": "Rao", "customer_email": "asha@example.invalid",
        "address": {"address1": "12 MG Road", "address2": "", "city": "Bengaluru", "state": "Karnataka",
                    "pincode": "560001", "phone": "9800000000"},
        "grand_total": sum(item["selling_price"] for item in items), "items": items,
    }  # fmt: skip
    state.paytm_mall.orders[order["id"]] = order
    return order


def control_router(config: PaytmMallConfig, state: SandboxState) -> APIRouter:
    router = APIRouter()

    @router.get("/state")
    def current() -> dict[str, Any]:
        with state.lock:
            data = state.paytm_mall
            return copy.deepcopy({
                "orders": list(data.orders.values()), "fulfillments": list(data.fulfillments.values()),
                "products": list(data.products.values()), "login_calls": data.login_calls,
                "token_calls": data.token_calls,
            })  # fmt: skip

    @router.post("/reset")
    def reset() -> dict[str, Any]:
        state.reset("paytm_mall")
        return {"reset": "paytm_mall"}

    @router.post("/expire_tokens")
    def expire_tokens() -> dict[str, Any]:
        """Every authtoken issued so far answers 401 from now on."""
        with state.lock:
            for token in state.paytm_mall.tokens:
                state.paytm_mall.tokens[token] = time.time()
        return {"expired": True}

    @router.post("/orders", status_code=201)
    async def create(request: Request) -> dict[str, Any]:
        """Body (all optional): sku, qty, price, items[{sku, qty, price, name}], payment_method (COD | PREPAID),
        updated_at."""
        spec = await json_body(request, lambda message: failure(400, message), optional=True)
        try:
            with state.lock:
                return {"order": copy.deepcopy(new_order(state, spec))}
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise failure(400, f"invalid order spec: {exc}") from None

    @router.post("/orders/{order_id}/cancel")
    def cancel(order_id: str) -> dict[str, Any]:
        with state.lock:
            order = state.paytm_mall.orders.get(order_id)
            if order is None:
                raise failure(404, f"Order {order_id} not found")
            for item in order["items"]:
                item["status"] = CANCELLED
            touch(order)
            return {"order": copy.deepcopy(order)}

    return router
