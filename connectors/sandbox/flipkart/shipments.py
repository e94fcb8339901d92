"""Shipments v3: search (`POST /v3/shipments/filter`, then `GET nextPageUrl` while `hasMore`), details, pack
(`POST /v3/shipments/labels`: invoice and label, the shipment becomes PACKED) and ready-to-dispatch
(`POST /v3/shipments/dispatch`). Bulk calls take at most 25 shipments and answer a status per shipment."""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from typing import Any

from fastapi import APIRouter, Request

from connectors.sandbox.flipkart.context import STATES_BY_TYPE, FlipkartContext, api_error, status_of
from connectors.sandbox.timestamps import parse_time
from connectors.sandbox.vendor_api import json_body

BULK_LIMIT = 25
DATE_FILTERS = {"orderDate": "orderDate", "dispatchAfterDate": "dispatchAfterDate",
                "dispatchByDate": "dispatchByDate", "modifiedDate": "updatedAt"}  # fmt: skip
PACKABLE = ("APPROVED", "PACKING_IN_PROGRESS", "PACKED")  # packing again regenerates the label


def _bad(message: str, path: str | None = None) -> Any:
    return api_error(400, message, path)


def _moment(shipment: dict[str, Any], field: str) -> dt.datetime:
    value = shipment["orderItems"][0]["orderDate"] if field == "orderDate" else shipment[field]
    return parse_time(value)


def _checked_filter(body: Any) -> tuple[dict[str, Any], int]:
    """The filter and the page size of a search body, or Flipkart's 400 naming the field."""
    if not isinstance(body, dict) or not isinstance(body.get("filter"), dict):
        raise _bad("filter is required", "filter")
    query = body["filter"]
    kind = query.get("type")
    if kind not in STATES_BY_TYPE:
        raise _bad(f"filter.type must be one of {sorted(STATES_BY_TYPE)}", "filter.type")
    states = query.get("states") or list(STATES_BY_TYPE[kind])
    unknown = [state for state in states if state not in STATES_BY_TYPE[kind]]
    if unknown:
        raise _bad(f"states {unknown} are not valid for {kind}", "filter.states")
    for name in DATE_FILTERS:
        window = query.get(name)
        if window is None:
            continue
        try:
            [parse_time(window[edge]) for edge in ("from", "to") if window.get(edge)]
        except (TypeError, ValueError, AttributeError):
            raise _bad(f"{name} needs from/to as ISO-8601 date-times", f"filter.{name}") from None
    size = (body.get("pagination") or {}).get("pageSize", 20)
    return {**query, "states": states}, size


def _matches(query: dict[str, Any], shipment: dict[str, Any]) -> bool:
    if status_of(shipment) not in query["states"]:
        return False
    if query.get("locationId") and shipment["locationId"] != query["locationId"]:
        return False
    if query.get("sku") and not {item["sku"] for item in shipment["orderItems"]} & set(query["sku"]):
        return False
    for name, field in DATE_FILTERS.items():
        window = query.get(name) or {}
        moment = _moment(shipment, field)
        if window.get("from") and moment < parse_time(window["from"]):
            return False
        if window.get("to") and moment > parse_time(window["to"]):
            return False
    return True


def shipments_router(ctx: FlipkartContext) -> APIRouter:
    router, state = APIRouter(), ctx.state

    def page(query: dict[str, Any], offset: int, size: int) -> dict[str, Any]:
        """One page of the search (call with the lock held); oldest change first, ties by shipment id."""
        found = sorted(
            (record["shipment"] for record in state.flipkart.shipments.values() if _matches(query, record["shipment"])),
            key=lambda shipment: (_moment(shipment, "updatedAt"), shipment["shipmentId"]),
        )
        chunk, has_more = found[offset : offset + size], offset + size < len(found)
        next_url = None
        if has_more:
            token = uuid.uuid4().hex
            state.flipkart.next_tokens[token] = {"filter": query, "offset": offset + size, "size": size}
            next_url = f"/v3/shipments/filter?next_token={token}"
        return {"hasMore": has_more, "nextPageUrl": next_url, "shipments": copy.deepcopy(chunk)}

    @router.post("/v3/shipments/filter")
    async def search(request: Request) -> dict[str, Any]:
        query, size = _checked_filter(await json_body(request, _bad))
        if not isinstance(size, int) or not 1 <= size <= ctx.config.page_size_max:
            raise _bad(f"pageSize must be between 1 and {ctx.config.page_size_max}", "pagination.pageSize")
        with state.lock:
            return page(query, 0, size)

    @router.get("/v3/shipments/filter")
    def next_page(next_token: str = "") -> dict[str, Any]:
        with state.lock:
            cursor = state.flipkart.next_tokens.get(next_token)
            if cursor is None:
                raise _bad("next_token is missing, unknown or expired", "next_token")
            return page(cursor["filter"], cursor["offset"], cursor["size"])

    @router.get("/v3/shipments/{shipment_ids}")
    def details(shipment_ids: str) -> dict[str, Any]:
        """Buyer, delivery and billing addresses of up to 25 shipments (comma-separated ids)."""
        ids = [part for part in shipment_ids.split(",") if part]
        if not 1 <= len(ids) <= BULK_LIMIT:
            raise _bad(f"give 1 to {BULK_LIMIT} shipment ids", "shipmentIds")
        with state.lock:
            records = [state.flipkart.shipments[i] for i in ids if i in state.flipkart.shipments]
            return {"shipments": [copy.deepcopy(_details(record)) for record in records]}

    @router.post("/v3/shipments/labels")
    async def pack(request: Request) -> dict[str, Any]:
        body = await json_body(request, _bad)
        shipments = body.get("shipments") if isinstance(body, dict) else None
        if not isinstance(shipments, list) or not 1 <= len(shipments) <= BULK_LIMIT:
            raise _bad(f"shipments must list 1 to {BULK_LIMIT} shipments", "shipments")
        with state.lock:
            return {"shipments": [_pack_one(ctx, entry if isinstance(entry, dict) else {}) for entry in shipments]}

    @router.post("/v3/shipments/dispatch")
    async def dispatch(request: Request) -> dict[str, Any]:
        body = await json_body(request, _bad)
        ids = body.get("shipmentIds") if isinstance(body, dict) else None
        if not isinstance(ids, list) or not 1 <= len(ids) <= BULK_LIMIT:
            raise _bad(f"shipmentIds must list 1 to {BULK_LIMIT} shipments", "shipmentIds")
        with state.lock:
            return {"shipments": [_dispatch_one(ctx, str(i), body.get("locationId")) for i in ids]}

    return router


def _details(record: dict[str, Any]) -> dict[str, Any]:
    shipment = record["shipment"]
    return {
        "shipmentId": shipment["shipmentId"],
        "locationId": shipment["locationId"],
        "orderItems": [
            {"orderItemId": i["orderItemId"], "largeHandling": False, "dangerous": False}
            for i in shipment["orderItems"]
        ],  # fmt: skip
        "deliveryAddress": record["deliveryAddress"],
        "billingAddress": record["billingAddress"],
        "buyerDetails": record["buyerDetails"],
    }


def _outcome(shipment_id: str, error: tuple[str, str] | None = None) -> dict[str, Any]:
    code, message = error or (None, None)
    return {"shipmentId": shipment_id, "status": "FAILURE" if error else "SUCCESS", "errorCode": code,
            "errorMessage": message}  # fmt: skip


def _pack_one(ctx: FlipkartContext, entry: dict[str, Any]) -> dict[str, Any]:
    shipment_id = str(entry.get("shipmentId", ""))
    record = ctx.state.flipkart.shipments.get(shipment_id)
    if record is None:
        return _outcome(shipment_id, ("SHIPMENT_NOT_FOUND", "No such shipment"))
    shipment = record["shipment"]
    if entry.get("locationId") != shipment["locationId"]:
        return _outcome(shipment_id, ("INVALID_LOCATION", "locationId is not the shipment's"))
    if status_of(shipment) not in PACKABLE:
        return _outcome(shipment_id, ("INVALID_STATE", f"cannot pack a {status_of(shipment)} shipment"))
    invoices = entry.get("invoices")
    if not isinstance(invoices, list) or not all(isinstance(i, dict) and i.get("invoiceNumber") for i in invoices):
        return _outcome(shipment_id, ("INVALID_INVOICE", "invoices need an invoiceNumber"))
    record["invoices"] = copy.deepcopy(invoices)
    record["label"] = f"https://sandbox.flipkart.invalid/labels/{shipment_id}.pdf"
    if status_of(shipment) != "PACKED":
        ctx.set_state(record, "PACKED")
    return _outcome(shipment_id)


def _dispatch_one(ctx: FlipkartContext, shipment_id: str, location_id: Any) -> dict[str, Any]:
    record = ctx.state.flipkart.shipments.get(shipment_id)
    if record is None:
        return _outcome(shipment_id, ("SHIPMENT_NOT_FOUND", "No such shipment"))
    shipment = record["shipment"]
    if location_id != shipment["locationId"]:
        return _outcome(shipment_id, ("INVALID_LOCATION", "locationId is not the shipment's"))
    if status_of(shipment) == "READY_TO_DISPATCH":
        return _outcome(shipment_id)  # marking again changes nothing
    if status_of(shipment) != "PACKED":
        return _outcome(shipment_id, ("INVALID_STATE", f"cannot dispatch a {status_of(shipment)} shipment"))
    ctx.set_state(record, "READY_TO_DISPATCH")
    return _outcome(shipment_id)
