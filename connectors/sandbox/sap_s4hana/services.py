"""The OData routes: `API_SALES_ORDER_SRV` (A_SalesOrder read, filter, page, deep insert) and
`API_OUTBOUND_DELIVERY_SRV;v=0002` (A_OutbDeliveryHeader read, filter, page, the PostGoodsIssue function import)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from connectors.sandbox.sap_s4hana.collection import expanded, not_found, read_collection, require_json
from connectors.sandbox.sap_s4hana.data import SapS4hanaData
from connectors.sandbox.sap_s4hana.entities import (
    DELIVERY,
    DELIVERY_ROOT,
    SALES_ORDER,
    SALES_ORDER_ROOT,
    SALES_ORDER_SRV,
    EntityType,
    key_predicate,
    to_json,
)
from connectors.sandbox.sap_s4hana.errors import sap_error
from connectors.sandbox.sap_s4hana.settings import SapS4hanaConfig
from connectors.sandbox.sap_s4hana.store import create_sales_order, post_goods_issue
from connectors.sandbox.state import SandboxState
from connectors.sandbox.vendor_api import json_body


def service_url(request: Request, root: str) -> str:
    """The service root's absolute URL as the client called it (with the sandbox's mount prefix)."""
    mount = request.scope.get("root_path", "")
    return f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}{mount}{root}"


def _service_document(entity_sets: list[str]) -> Callable[[], dict[str, Any]]:
    """The service document: what the CSRF fetch usually reads (its answer's headers are what matters)."""

    def document() -> dict[str, Any]:
        return {"d": {"EntitySets": entity_sets}}

    return document


def _entity_routes(
    router: APIRouter, root: str, entity: EntityType, records: Callable[[], dict[str, dict[str, Any]]],
    state: SandboxState, page_size: Callable[[], int],
) -> None:  # fmt: skip
    @router.get(f"{root}/{entity.entity_set}")
    def read_set(request: Request) -> dict[str, Any]:
        with state.lock:
            return read_collection(request, copy.deepcopy(list(records().values())), entity,
                                   service_url(request, root), page_size())  # fmt: skip

    @router.get(f"{root}/{entity.entity_set}('{{key}}')")
    def read_one(key: str, request: Request) -> dict[str, Any]:
        require_json(request, entity.service)
        with state.lock:
            record = records().get(key)
            if record is None:
                raise not_found(entity)
            return {"d": to_json(record, entity, service_url(request, root), expanded(request, entity))}


def odata_router(config: SapS4hanaConfig, state: SandboxState) -> APIRouter:
    router = APIRouter()
    data: Callable[[], SapS4hanaData] = lambda: state.sap_s4hana  # noqa: E731 (replaced on reset)
    page_size = lambda: config.page_size  # noqa: E731

    for root, sets in ((SALES_ORDER_ROOT, ["A_SalesOrder", "A_SalesOrderItem"]),
                       (DELIVERY_ROOT, ["A_OutbDeliveryHeader", "A_OutbDeliveryItem"])):  # fmt: skip
        router.get(root)(_service_document(sets))
        router.get(root + "/")(_service_document(sets))

    _entity_routes(router, SALES_ORDER_ROOT, SALES_ORDER, lambda: data().sales_orders, state, page_size)
    _entity_routes(router, DELIVERY_ROOT, DELIVERY, lambda: data().deliveries, state, page_size)

    @router.post(f"{SALES_ORDER_ROOT}/A_SalesOrder")
    async def create(request: Request) -> JSONResponse:
        body = await json_body(request, lambda m: sap_error(400, "/IWBEP/CM_MGW_RT/021", m, SALES_ORDER_SRV))
        with state.lock:
            order = create_sales_order(data(), body, config.username)
            root = service_url(request, SALES_ORDER_ROOT)
            answer = to_json(order, SALES_ORDER, root, {"to_Item"})
        location = f"{root}/{key_predicate(SALES_ORDER, order)}"
        return JSONResponse({"d": answer}, status_code=201, headers={"Location": location})

    @router.post(f"{DELIVERY_ROOT}/PostGoodsIssue")
    def goods_issue(request: Request) -> dict[str, Any]:
        with state.lock:
            delivery = post_goods_issue(
                data(), request.query_params.get("DeliveryDocument"), request.headers.get("if-match")
            )
            return {"d": to_json(delivery, DELIVERY, service_url(request, DELIVERY_ROOT), set())}

    return router
