"""Eshopbox WMS routes: orders, shipments, `mark{status}` and courier status in the ClickPost shape."""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, Request

from connectors.sandbox.eshopbox.context import EshopboxContext, copied, error, shipment_or_404
from connectors.sandbox.timestamps import iso_z, now, parse_time
from connectors.sandbox.vendor_api import VendorError, json_body

ORDER_FIELDS = (
    "externalChannelID",
    "customerOrderNumber",
    "isCOD",
    "paymentType",
    "taxAmount",
    "subtotal",
    "orderTotal",
    "balanceDue",
    "thirdPartyShipping",
    "shippingAddress",
    "billingAddress",
    "items",
)
NUMBERS = ("taxAmount", "subtotal", "orderTotal", "balanceDue")
ADDRESS_FIELDS = ("customerName", "addressLine1", "postalCode", "contactPhone")
ITEM_FIELDS = ("lineItemSequenceNumber", "itemID", "productName", "quantity", "customerPrice", "lineItemTotal")
FORWARD = {
    "created",
    "packed",
    "ready_to_ship",
    "picked_up",
    "out_for_pickup",
    "pickup_failed",
    "intransit",
    "out_for_delivery",
    "delivered",
    "failed_delivery",
    "rto",
    "rto_created",
    "rto_intransit",
    "rto_out_for_delivery",
    "rto_delivered",
    "rto_failed",
    "shipment_delayed",
    "dispatched",
    "shipment_held",
    "unhold",
    "return_expected",
    "cancelled",
    "cancelled_order",
    "damage",
    "lost",
    "pickup_pending",
}
TERMINAL = {"delivered", "cancelled", "cancelled_order", "rto_delivered", "lost"}
CLICKPOST = {
    1: "created",
    2: "pickup_pending",
    3: "pickup_failed",
    4: "picked_up",
    5: "intransit",
    6: "out_for_delivery",
    8: "delivered",
    9: "failed_delivery",
    10: "cancelled",
    11: "rto_created",
    12: "rto",
    13: "rto_out_for_delivery",
    14: "rto_delivered",
    15: "rto_failed",
    16: "lost",
    17: "damage",
    18: "shipment_delayed",
    20: "shipment_held",
    21: "rto_intransit",
    25: "out_for_pickup",
    28: "created",
}


def _is_number(value: Any) -> bool:
    try:
        return not isinstance(value, bool) and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def validate_order(body: Any) -> list[dict[str, str]]:
    """The create-order contract's required fields and types, as field -> problem pairs."""
    if not isinstance(body, dict):
        return [{"field": "", "message": "body must be a JSON object"}]
    problems = [{"field": f, "message": "is required"} for f in ORDER_FIELDS if body.get(f) in (None, "", [])]
    problems += [{"field": f, "message": "must be a number"} for f in NUMBERS if f in body and not _is_number(body[f])]
    if isinstance(body.get("isCOD"), bool) or body.get("isCOD") not in (None, "0", "1", 0, 1):
        problems.append({"field": "isCOD", "message": 'must be "1" or "0"'})
    if "thirdPartyShipping" in body and not isinstance(body["thirdPartyShipping"], bool):
        problems.append({"field": "thirdPartyShipping", "message": "must be a boolean"})
    for name in ("shippingAddress", "billingAddress"):
        address = body.get(name)
        if address is not None and not isinstance(address, dict):
            problems.append({"field": name, "message": "must be an object"})
        elif name == "shippingAddress" and address:
            problems += [
                {"field": f"{name}.{f}", "message": "is required"} for f in ADDRESS_FIELDS if not address.get(f)
            ]
    items = body.get("items")
    for index, item in enumerate(items if isinstance(items, list) else []):
        missing = ITEM_FIELDS if not isinstance(item, dict) else [f for f in ITEM_FIELDS if item.get(f) in (None, "")]
        problems += [{"field": f"items[{index}].{f}", "message": "is required"} for f in missing]
    if items is not None and not isinstance(items, list):
        problems.append({"field": "items", "message": "must be a list"})
    return problems


def find_order(ctx: EshopboxContext, number: str) -> dict[str, Any] | None:
    return next((o for (_, n), o in ctx.state.eshopbox.orders.items() if n == number), None)


def wms_router(ctx: EshopboxContext) -> APIRouter:
    router = APIRouter()

    @router.post("/order")
    async def create_order(request: Request) -> dict[str, Any]:
        body = await json_body(request, lambda m: error(400, m))
        problems = validate_order(body)
        if problems:
            raise error(400, "Validation failed", errors=problems)
        key = (str(body["externalChannelID"]), str(body["customerOrderNumber"]))
        with ctx.state.lock:
            if key in ctx.state.eshopbox.orders:
                refused = ctx.state.eshopbox.refused_duplicates
                refused[key[1]] = refused.get(key[1], 0) + 1
                raise error(409, f"Order {key[1]} already exists for channel {key[0]}", code="DUPLICATE_ORDER")
            stamp, order_id = iso_z(now()), ctx.new_id()
            shipment_id = f"ESB{ctx.new_id(base=5_000_000)}"
            shipment = {
                "id": ctx.new_id(),
                "customerOrderNumber": key[1],
                "externalShipmentID": shipment_id,
                "externalWarehouseID": ctx.config.warehouse_id,
                "externalChannelID": key[0],
                "invoiceNumber": None,
                "invoice_url": None,
                "label_url": None,
                "dimension_length": 20,
                "dimension_width": 15,
                "dimension_height": 5,
                "weight": 500,
                "trackingID": None,
                "courierName": None,
                "status": "created",
                "remarks": "",
                "status_updated_at": stamp,
                "status_log": {"created": stamp},
                "track_payload": {},
                "items": [
                    {k: i.get(k) for k in ("lineItemSequenceNumber", "itemID", "quantity")} for i in body["items"]
                ],
            }
            order = {
                **body,
                "id": order_id,
                "orderStatus": "CREATED",
                "createdAt": stamp,
                "updatedAt": stamp,
                "shipments": [shipment],
            }
            ctx.state.eshopbox.orders[key] = order
            ctx.state.eshopbox.shipments[shipment_id] = shipment
            ctx.emit_shipment(shipment)
            return copied(order)

    @router.get("/order/{customer_order_number}")
    def get_order(customer_order_number: str) -> dict[str, Any]:
        with ctx.state.lock:
            order = find_order(ctx, customer_order_number)
            if order is None:
                raise error(404, f"Order {customer_order_number} not found")
            return copied(order)

    @router.get("/order/shipment/{shipment_id}")
    def get_shipment(shipment_id: str) -> dict[str, Any]:
        with ctx.state.lock:
            return copied(shipment_or_404(ctx, shipment_id))

    @router.put("/order/shipment/{shipment_id}/{action}")
    def mark(shipment_id: str, action: str) -> dict[str, Any]:
        status = action.removeprefix("mark").lower()
        if not action.startswith("mark") or status not in FORWARD:
            raise error(400, f"Unknown shipment status '{status}'", allowed=sorted(FORWARD))
        with ctx.state.lock:
            shipment = shipment_or_404(ctx, shipment_id)
            if shipment["status"] != status:
                if shipment["status"] in TERMINAL:
                    raise error(400, f"Shipment {shipment_id} is already {shipment['status']}")
                ctx.set_status(shipment, status)
            return copied(shipment)

    @router.post("/update-status")
    async def update_status(request: Request) -> dict[str, Any]:
        def meta(status: int, message: str) -> VendorError:
            return VendorError(status, {"meta": {"success": False, "status": status, "message": message}})

        body = await json_body(request, lambda m: meta(400, m))
        body = body if isinstance(body, dict) else {}
        code = body.get("status_code")
        try:
            status = CLICKPOST[int(code)]
        except (TypeError, ValueError, KeyError):
            raise meta(400, f"Unknown status_code {code!r}") from None
        if not body.get("waybill"):
            raise meta(400, "waybill is required")
        with ctx.state.lock:
            shipment = next(
                (s for s in ctx.state.eshopbox.shipments.values() if s["trackingID"] == body["waybill"]), None
            )
            if shipment is None:
                raise meta(404, f"No shipment with waybill {body['waybill']}")
            ctx.state.eshopbox.courier_updates.append({**body, "externalShipmentID": shipment["externalShipmentID"]})
            shipment["track_payload"] = {"clickPostTrackData": body}
            if shipment["status"] != status:
                try:
                    at = iso_z(parse_time(body["timestamp"])) if body.get("timestamp") else None
                except ValueError:
                    raise meta(400, "timestamp is invalid") from None
                ctx.set_status(shipment, status, at)
        return {"meta": {"success": True, "status": 200, "message": "SUCCESS"}}

    return router
