"""Marg ERP simulator: the eOnlineData web services under `/api/eOnlineData`, every call a POST whose JSON body
carries the company's `CompanyCode` and `MargID` (Marg has no auth header). A body without them, or with another
company's, is refused 401 (assumption: Marg's status and body for it are not published). When the (configured) rate
limit is hit: 429 with `Retry-After` (assumption). Control API under `/_sandbox/...`: state, reset, items."""

from __future__ import annotations

import copy
import datetime as dt
import hmac
from typing import Any

from fastapi import APIRouter, FastAPI, Request

from connectors.sandbox.faults import install_faults
from connectors.sandbox.marg.masters import (
    IST,
    field_of,
    insert_order_line,
    marg_error,
    master_page,
    upsert_product,
)
from connectors.sandbox.marg.settings import MargConfig
from connectors.sandbox.state import SandboxState
from connectors.sandbox.throttling import LeakyBucket, retry_after_seconds
from connectors.sandbox.timestamps import parse_time
from connectors.sandbox.vendor_api import VendorError, install_error_handlers, json_body

API = "/api/eOnlineData"
DEMO_ITEMS = [
    {"code": "ESB-TEE-RED-M", "name": "T-shirt red M", "stock": 40, "mrp": 499},
    {"code": "ESB-MUG-WHITE", "name": "Mug white", "stock": 12, "mrp": 299},
]
DEMO_TIME = dt.datetime(2026, 11, 1, 9, 0, tzinfo=IST)


def _shape(status: int, detail: str) -> dict[str, Any]:
    return {"Details": {"Status": "Failure", "Message": detail}}


def _bad(message: str) -> VendorError:
    return marg_error(400, message)


def _seed(state: SandboxState) -> None:
    for item in DEMO_ITEMS:
        upsert_product(state.marg, item, DEMO_TIME)


class MargGate:
    """Checks the company credentials in a body and spends the company's request budget."""

    def __init__(self, config: MargConfig, state: SandboxState) -> None:
        self.config, self.state = config, state

    def admit(self, body: Any) -> dict[str, Any]:
        body = body if isinstance(body, dict) else {}
        company = str(field_of(body, "CompanyCode") or "")
        marg_id = str(field_of(body, "MargID") or "")
        with self.state.lock:
            self.state.marg.calls += 1
        known = hmac.compare_digest(company.upper().encode(), self.config.company_code.upper().encode())
        known = hmac.compare_digest(marg_id.encode(), self.config.marg_id.encode()) and known
        if not known:
            raise marg_error(401, "Invalid CompanyCode or MargID")
        if self.config.requests_per_second is not None:
            rate, burst = self.config.requests_per_second, self.config.burst
            with self.state.lock:
                allowed, limit = self.state.marg.throttle.admit("api", company, lambda: LeakyBucket(burst, rate))
            if not allowed:
                headers = {"Retry-After": retry_after_seconds(limit)}
                raise VendorError(429, _shape(429, "Request limit exceeded"), headers)
        return body


def build_marg(config: MargConfig, state: SandboxState) -> FastAPI:
    gate = MargGate(config, state)
    app = FastAPI(title="Marg ERP sandbox", docs_url="/_sandbox/docs", openapi_url="/_sandbox/openapi.json")
    install_error_handlers(app, _shape)
    state.on_reset("marg", _seed)
    api = APIRouter()

    @api.post("/MargMST2017")
    async def masters(request: Request) -> dict[str, Any]:
        body = gate.admit(await json_body(request, _bad))
        index = str(field_of(body, "Index") or "0").strip()
        if not index.isdigit():
            raise _bad("Index must be a whole number")
        with state.lock:
            return master_page(state.marg, str(field_of(body, "Datetime") or "").strip(), int(index), config.page_size)

    @api.post("/InsertOrderDetail")
    async def insert_order(request: Request) -> dict[str, Any]:
        body = gate.admit(await json_body(request, _bad))
        with state.lock:
            return insert_order_line(state.marg, body)

    install_faults(app, state, "marg", _shape)
    app.include_router(api, prefix=API)
    app.include_router(_control_router(state), prefix="/_sandbox")
    return app


def _control_router(state: SandboxState) -> APIRouter:
    router = APIRouter()

    @router.get("/state")
    def snapshot() -> dict[str, Any]:
        with state.lock:
            data = state.marg
            return copy.deepcopy({
                "products": list(data.products.values()),
                "changed_at": {code: at.isoformat() for code, at in data.changed_at.items()},
                "order_lines": data.order_lines, "orders": data.orders, "calls": data.calls,
                **data.throttle.stats(),
            })  # fmt: skip

    @router.post("/reset")
    def reset() -> dict[str, Any]:
        state.reset("marg")
        return {"reset": "marg"}

    @router.post("/products")
    async def products(request: Request) -> dict[str, Any]:
        """Body: {"items": [{"code", "name"?, "stock"?, "mrp"?, "deleted"?, "at"? (ISO-8601, IST when naive)}]}:
        create or change items, as a stock movement in Marg would."""
        body = await json_body(request, _bad)
        items = body.get("items") if isinstance(body, dict) else None
        if not isinstance(items, list) or not all(isinstance(i, dict) and i.get("code") for i in items):
            raise _bad("items: a list of objects with a code is required")
        try:
            moments = [parse_time(i["at"], IST) if i.get("at") else dt.datetime.now(IST) for i in items]
        except ValueError:
            raise _bad("at must be an ISO-8601 time") from None
        with state.lock:
            return {"items": [upsert_product(state.marg, i, at) for i, at in zip(items, moments, strict=True)]}

    return router
