"""The control API under `/_sandbox`:

GET  /_sandbox/state                    sales orders, deliveries, sessions, CSRF fetches and refusals, 429s
POST /_sandbox/reset
POST /_sandbox/sales-orders {...}       a sales order as the deep insert takes it (made by someone in SAP)
POST /_sandbox/deliveries {sales_order} the outbound delivery of a sales order (S/4HANA's shipping run)
POST /_sandbox/sessions/expire          every session ends, and with it its CSRF token (as after the idle timeout)
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi import APIRouter, Request

from connectors.sandbox.sap_s4hana.entities import DELIVERY, SALES_ORDER, to_json
from connectors.sandbox.sap_s4hana.errors import sap_error
from connectors.sandbox.sap_s4hana.gateway import Gateway
from connectors.sandbox.sap_s4hana.services import service_url
from connectors.sandbox.sap_s4hana.settings import SapS4hanaConfig
from connectors.sandbox.sap_s4hana.store import create_delivery, create_sales_order
from connectors.sandbox.state import SandboxState
from connectors.sandbox.vendor_api import json_body

VENDOR = "sap_s4hana"


def _bad(message: str) -> Any:
    return sap_error(400, "SANDBOX/001", message)


def control_router(config: SapS4hanaConfig, state: SandboxState, gateway: Gateway) -> APIRouter:
    router = APIRouter()

    @router.get("/state")
    def read_state(request: Request) -> dict[str, Any]:
        root = service_url(request, "")
        with state.lock:
            data = state.sap_s4hana
            return copy.deepcopy({
                "sales_orders": [to_json(o, SALES_ORDER, root, {"to_Item"}) for o in data.sales_orders.values()],
                "deliveries": [to_json(d, DELIVERY, root, {"to_DeliveryDocumentItem"})
                               for d in data.deliveries.values()],
                "goods_issues": data.goods_issues,
                "sessions": len(data.sessions),
                "csrf_fetches": data.csrf_fetches,
                "csrf_refusals": data.csrf_refusals,
                "token_calls": data.token_calls,
                **data.throttle.stats(),
            })  # fmt: skip

    @router.post("/reset")
    def reset() -> dict[str, Any]:
        state.reset(VENDOR)
        return {"reset": VENDOR}

    @router.post("/sales-orders", status_code=201)
    async def new_sales_order(request: Request) -> dict[str, Any]:
        body = await json_body(request, _bad)
        with state.lock:
            order = create_sales_order(state.sap_s4hana, body, "SANDBOX")
            return {"sales_order": to_json(order, SALES_ORDER, "", {"to_Item"})}

    @router.post("/deliveries", status_code=201)
    async def new_delivery(request: Request) -> dict[str, Any]:
        body = await json_body(request, _bad)
        if not isinstance(body, dict) or not body.get("sales_order"):
            raise _bad("sales_order is required")
        with state.lock:
            delivery = create_delivery(state.sap_s4hana, str(body["sales_order"]))
            return {"delivery": to_json(delivery, DELIVERY, "", {"to_DeliveryDocumentItem"})}

    @router.post("/access-tokens/expire")
    def expire_access_tokens() -> dict[str, Any]:
        return {"expired": gateway.expire_access_tokens()}

    @router.post("/sessions/expire")
    def expire_sessions() -> dict[str, Any]:
        return {"expired": gateway.expire_sessions()}

    return router
