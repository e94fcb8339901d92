"""The sandbox's control API (`/_sandbox`): state, reset, records made as a B1 user would make them, and the
sessions' clock.

    GET  /_sandbox/state, POST /_sandbox/reset
    POST /_sandbox/orders {CardCode?, NumAtCard?, DocDueDate?, DocumentLines? | sku?, quantity?, price?, updated_at?}
                                                  a sales order entered in B1 (updated_at: its UpdateDate/Time)
    POST /_sandbox/items {ItemCode, stock: {"01": 10}, ItemName?}     an item and its stock per warehouse
    POST /_sandbox/clock/advance {"seconds": N}   sessions age N seconds without a call (idle timeout, no waiting)
    POST /_sandbox/sessions/expire                every session ends (a Service Layer restart)
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi import APIRouter, Request

from connectors.sandbox.sap_business_one import documents
from connectors.sandbox.sap_business_one.errors import b1_error
from connectors.sandbox.sap_business_one.sessions import SessionKeeper
from connectors.sandbox.sap_business_one.settings import SapBusinessOneConfig
from connectors.sandbox.state import SandboxState
from connectors.sandbox.timestamps import parse_time
from connectors.sandbox.vendor_api import VendorError, json_body

VENDOR = "sap_business_one"


def _bad(message: str) -> VendorError:
    return b1_error(400, -1, message)


def _order_body(spec: dict[str, Any]) -> dict[str, Any]:
    lines = spec.get("DocumentLines") or [
        {"ItemCode": spec.get("sku", "ESB-TEE-RED-M"), "Quantity": spec.get("quantity", 1),
         "UnitPrice": spec.get("price", 499.0)}
    ]  # fmt: skip
    body = {"CardCode": spec.get("CardCode", "C-SHOPIFY"), "DocDueDate": spec.get("DocDueDate", "2026-12-31"),
            "DocumentLines": lines}  # fmt: skip
    return body | {name: spec[name] for name in ("NumAtCard", "Comments") if name in spec}


def control_router(config: SapBusinessOneConfig, state: SandboxState, keeper: SessionKeeper) -> APIRouter:
    router = APIRouter()

    @router.get("/state")
    def current() -> dict[str, Any]:
        with state.lock:
            data = state.sap_business_one
            return copy.deepcopy({
                "orders": list(data.orders.values()),
                "delivery_notes": list(data.delivery_notes.values()),
                "items": list(data.items.values()),
                "sessions": len(data.sessions),
                "logins": data.logins,
                "failed_logins": data.failed_logins,
                "logouts": data.logouts,
                "route_ids": dict(data.route_ids),
                **data.throttle.stats(),
            })  # fmt: skip

    @router.post("/reset")
    def reset() -> dict[str, Any]:
        state.reset(VENDOR)
        return {"reset": VENDOR}

    @router.post("/orders", status_code=201)
    async def new_order(request: Request) -> dict[str, Any]:
        spec = await json_body(request, _bad, optional=True)
        if not isinstance(spec, dict):
            raise _bad("the order spec must be an object")
        moment = parse_time(spec["updated_at"]) if spec.get("updated_at") else None
        with state.lock:
            return {"order": copy.deepcopy(documents.create_order(state, _order_body(spec), moment))}

    @router.post("/items", status_code=201)
    async def put_item(request: Request) -> dict[str, Any]:
        spec = await json_body(request, _bad)
        try:
            code, stock = str(spec["ItemCode"]), {str(k): float(v) for k, v in spec.get("stock", {}).items()}
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise _bad(f"invalid item spec: {exc}") from None
        with state.lock:
            item = documents.put_item(state, code, stock, spec.get("ItemName"), config.warehouse)
            return {"item": copy.deepcopy(item)}

    @router.post("/clock/advance")
    async def advance(request: Request) -> dict[str, Any]:
        spec = await json_body(request, _bad)
        seconds = spec.get("seconds") if isinstance(spec, dict) else None
        if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
            raise _bad("seconds: a number of seconds, at least 0")
        return {"clock_offset": keeper.advance(float(seconds))}

    @router.post("/sessions/expire")
    def expire() -> dict[str, Any]:
        return {"expired": keeper.expire_all()}

    return router
