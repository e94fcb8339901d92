"""Ginesys OMS (Browntape) simulator: `/0.11/skus/inventory_lookup.json` and `/0.1/orders/add.json`, every call
authenticated by the API user's `username` and `auth_string` in the query string (Browntape's documented scheme;
`auth_string = sha1(api_secret . bt_hash(password))`, computed once by the account owner). A missing or wrong pair
is refused 401 (assumption: the status and body are not in what we read), the (configured) rate limit with 429 and
`Retry-After` (assumption). Control API under `/_sandbox/...`: state, reset, stock."""

from __future__ import annotations

import copy
import datetime as dt
import hmac
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse

from connectors.sandbox.faults import install_faults
from connectors.sandbox.ginesys.inventory import BT_TIME, add_orders, browntape_error, lookup, set_stock, sku_index
from connectors.sandbox.ginesys.settings import GinesysConfig
from connectors.sandbox.state import SandboxState
from connectors.sandbox.throttling import LeakyBucket, retry_after_seconds
from connectors.sandbox.timestamps import parse_time
from connectors.sandbox.vendor_api import VendorError, install_error_handlers, json_body

WAREHOUSES = [("57620", "default", "def", "1"), ("57942", "Tech warehouse Goa", "TwGOA", "0")]
DEMO_TIME = dt.datetime(2026, 11, 1, 3, 30, tzinfo=dt.UTC)
DEMO_STOCK = [("ESB-TEE-RED-M", "57620", 41), ("ESB-TEE-RED-M", "57942", 6), ("ESB-MUG-WHITE", "57620", 12)]


MAX_PAGE_SIZE = 1000  # documented: default and maximum


def _is_bt_time(text: str) -> bool:
    try:
        dt.datetime.strptime(text if len(text) > 10 else text + " 00:00:00", BT_TIME)
    except ValueError:
        return False
    return True


def _shape(status: int, detail: str) -> dict[str, Any]:
    return {"success": False, "status_code": status, "message": detail}


def _bad(message: str) -> VendorError:
    return browntape_error(400, message)


def _seed(config: GinesysConfig) -> Any:
    def seed(state: SandboxState) -> None:
        data = state.ginesys
        for warehouse_id, title, short, default in WAREHOUSES:
            data.warehouses[warehouse_id] = {
                "id": warehouse_id, "title": title, "company_id": config.company_id, "is_default": default,
                "external_warehouse_code": None, "restricted_to_channel_id": None, "warehouse_short_code": short,
                "unique_code": None, "warehouse_type": "warehouse", "warehouse_code": None, "sub_type": "coco",
            }  # fmt: skip
        for sku, warehouse_id, closing in DEMO_STOCK:
            set_stock(data, config.company_id, sku, warehouse_id, closing, DEMO_TIME)

    return seed


def build_ginesys(config: GinesysConfig, state: SandboxState) -> FastAPI:
    app = FastAPI(title="Ginesys OMS (Browntape) sandbox", docs_url="/_sandbox/docs",
                  openapi_url="/_sandbox/openapi.json")  # fmt: skip
    install_error_handlers(app, _shape)
    state.on_reset("ginesys", _seed(config))

    @app.middleware("http")
    async def authenticate(request: Request, call_next: Any) -> Response:
        if "/_sandbox/" in request.scope["path"]:
            return await call_next(request)
        username = request.query_params.get("username", "")
        auth_string = request.query_params.get("auth_string", "")
        with state.lock:
            state.ginesys.calls += 1
        known = hmac.compare_digest(username.encode(), config.username.encode())
        known = hmac.compare_digest(auth_string.encode(), config.auth_string.encode()) and known
        if not known:
            return JSONResponse(_shape(401, "Authentication failed: invalid username or auth_string"), status_code=401)
        if config.requests_per_second is not None:
            rate, burst = config.requests_per_second, config.burst
            with state.lock:
                allowed, limit = state.ginesys.throttle.admit("api", username, lambda: LeakyBucket(burst, rate))
            if not allowed:
                headers = {"Retry-After": retry_after_seconds(limit)}
                return JSONResponse(_shape(429, "API limit exceeded"), status_code=429, headers=headers)
        return await call_next(request)

    install_faults(app, state, "ginesys", _shape)

    @app.get("/0.11/skus/inventory_lookup.json")
    def inventory_lookup(skucode: str = "") -> dict[str, Any]:
        if not skucode.strip():
            raise _bad("skucode is required")
        with state.lock:
            return lookup(state.ginesys, skucode.strip())

    @app.get("/0.1/skus/index.json")
    def skus_index(request: Request) -> dict[str, Any]:
        query = request.query_params
        since, until = query.get("modified_from", "").strip("'\" "), query.get("modified_to", "").strip("'\" ")
        page, size = query.get("page", "1"), query.get("page_size", "1000")
        for text in (since, until):
            if text and not _is_bt_time(text):
                raise _bad(f"modified_from and modified_to take yyyy-mm-dd or yyyy-mm-dd hh:mm:ss, not {text!r}")
        if not (page.isdigit() and size.isdigit() and int(page) >= 1 and int(size) >= 1):
            raise _bad("page and page_size must be positive whole numbers")
        if len(until) == 10:
            until += " 23:59:59"  # a date covers its whole day
        with state.lock:
            return sku_index(state.ginesys, since, until, int(page), min(int(size), MAX_PAGE_SIZE))

    @app.post("/0.1/orders/add.json")
    async def orders_add(request: Request) -> dict[str, Any]:
        body = await json_body(request, _bad)
        with state.lock:
            return add_orders(state.ginesys, body, config.max_orders_per_call)

    app.include_router(_control_router(config, state), prefix="/_sandbox")
    return app


def _control_router(config: GinesysConfig, state: SandboxState) -> APIRouter:
    router = APIRouter()

    @router.get("/state")
    def snapshot() -> dict[str, Any]:
        with state.lock:
            data = state.ginesys
            return copy.deepcopy({
                "warehouses": list(data.warehouses.values()), "stock": list(data.stock.values()),
                "orders": list(data.orders.values()), "calls": data.calls, **data.throttle.stats(),
            })  # fmt: skip

    @router.post("/reset")
    def reset() -> dict[str, Any]:
        state.reset("ginesys")
        return {"reset": "ginesys"}

    @router.post("/stock")
    async def stock(request: Request) -> dict[str, Any]:
        """Body: {"sku", "warehouse_id", "closing_stock", "at"? (ISO-8601, UTC when naive)}: set a SKU's closing
        stock in a warehouse, modified at `at` (now by default)."""
        body = await json_body(request, _bad)
        known = isinstance(body, dict) and str(body.get("warehouse_id")) in state.ginesys.warehouses
        if not known or not body.get("sku"):
            raise _bad("sku and a known warehouse_id are required")
        try:
            at = parse_time(body["at"]) if body.get("at") else None
        except ValueError:
            raise _bad("at must be an ISO-8601 time") from None
        with state.lock:
            return set_stock(state.ginesys, config.company_id, str(body["sku"]), str(body["warehouse_id"]),
                             int(body.get("closing_stock", 0)), at)  # fmt: skip

    return router
