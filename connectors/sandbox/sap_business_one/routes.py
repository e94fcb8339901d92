"""The `/b1s/v1` routes the app uses: Login and Logout, sales orders (list, read, create, close, cancel),
deliveries (list, read, create from order lines) and items with their stock per warehouse."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from connectors.sandbox.sap_business_one import documents
from connectors.sandbox.sap_business_one.errors import invalid_query
from connectors.sandbox.sap_business_one.odata import Query, max_page_size
from connectors.sandbox.sap_business_one.sessions import COOKIE, ROUTE_COOKIE, SessionKeeper
from connectors.sandbox.sap_business_one.settings import SapBusinessOneConfig
from connectors.sandbox.state import SandboxState
from connectors.sandbox.vendor_api import json_body

SERVICE_ROOT = "/b1s/v1"
LOGIN_PATH = f"{SERVICE_ROOT}/Login"
ORDERS = Query("Orders", "Document", documents.HEADER)
DELIVERIES = Query("DeliveryNotes", "Document", documents.HEADER)
ITEMS = Query("Items", "Item", documents.ITEM)


def _bad_body(message: str) -> Any:
    return invalid_query(message)


def service_router(config: SapBusinessOneConfig, state: SandboxState, keeper: SessionKeeper) -> APIRouter:
    router = APIRouter()
    data = lambda: state.sap_business_one  # noqa: E731 (replaced on reset: read it under the lock)

    @router.post("/Login")
    async def login(request: Request) -> JSONResponse:
        answer = keeper.login(await json_body(request, _bad_body))
        response = JSONResponse(answer)
        root = request.scope.get("root_path", "")
        response.set_cookie(COOKIE, answer["SessionId"], path=f"{root}{SERVICE_ROOT}", httponly=True)
        response.set_cookie(ROUTE_COOKIE, config.route_id, path=f"{root}/b1s")
        return response

    @router.post("/Logout", status_code=204)
    def logout(request: Request) -> Response:
        keeper.logout(request.cookies.get(COOKIE))
        return Response(status_code=204)

    def listing(request: Request, query: Query, records: Callable[[], Mapping[Any, dict[str, Any]]]) -> JSONResponse:
        size, applied = max_page_size(request.headers.get("prefer"), config.page_size)
        with state.lock:
            body = copy.deepcopy(query.page(records().values(), dict(request.query_params.items()), size))
        return JSONResponse(body, headers={"Preference-Applied": applied} if applied else None)

    def one(request: Request, records: Mapping[Any, dict[str, Any]], key: Any, query: Query) -> dict[str, Any]:
        select = request.query_params.get("$select")
        found = documents.lookup(records, key, select, query.properties, query.entity_type)
        return {"odata.metadata": f"$metadata#{query.entity}/@Element", **found}

    @router.get("/Orders")
    def list_orders(request: Request) -> JSONResponse:
        return listing(request, ORDERS, lambda: data().orders)

    @router.get("/Orders({entry:int})")
    def get_order(request: Request, entry: int) -> dict[str, Any]:
        with state.lock:
            return one(request, data().orders, entry, ORDERS)

    @router.post("/Orders", status_code=201)
    async def create_order(request: Request) -> dict[str, Any]:
        body = await json_body(request, _bad_body)
        with state.lock:
            return copy.deepcopy({"odata.metadata": "$metadata#Orders/@Element", **documents.create_order(state, body)})

    @router.post("/Orders({entry:int})/Close", status_code=204)
    def close_order(entry: int) -> Response:
        with state.lock:
            documents.close_order(state, entry, cancel=False)
        return Response(status_code=204)

    @router.post("/Orders({entry:int})/Cancel", status_code=204)
    def cancel_order(entry: int) -> Response:
        with state.lock:
            documents.close_order(state, entry, cancel=True)
        return Response(status_code=204)

    @router.get("/DeliveryNotes")
    def list_deliveries(request: Request) -> JSONResponse:
        return listing(request, DELIVERIES, lambda: data().delivery_notes)

    @router.get("/DeliveryNotes({entry:int})")
    def get_delivery(request: Request, entry: int) -> dict[str, Any]:
        with state.lock:
            return one(request, data().delivery_notes, entry, DELIVERIES)

    @router.post("/DeliveryNotes", status_code=201)
    async def create_delivery(request: Request) -> dict[str, Any]:
        body = await json_body(request, _bad_body)
        with state.lock:
            created = documents.create_delivery(state, body)
            return copy.deepcopy({"odata.metadata": "$metadata#DeliveryNotes/@Element", **created})

    @router.get("/Items")
    def list_items(request: Request) -> JSONResponse:
        return listing(request, ITEMS, lambda: data().items)

    @router.get("/Items('{code}')")
    def get_item(request: Request, code: str) -> dict[str, Any]:
        with state.lock:
            return one(request, data().items, code.replace("''", "'"), ITEMS)

    return router
