"""ClickPost's order creation (India, v3): validated with ClickPost's order-creation codes, manifested on the
courier partner (an AWB and a label), tracked from then on. A `reference_number` placed before is answered with
`meta.status` 323 "You have Already placed this order" in an HTTP 200, which ClickPost's integration guidelines
count as success: sending a create again is harmless. Every function expects the state lock to be held."""

from __future__ import annotations

import copy
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.sandbox.clickpost.authentication import clickpost_error, envelope
from connectors.sandbox.clickpost.tracking import ClickPostContext, start_tracking

REQUIRED = {
    "pickup_info": ("pickup_name", "pickup_phone", "pickup_address", "pickup_city", "pickup_state", "pickup_pincode"),
    "drop_info": ("drop_name", "drop_phone", "drop_address", "drop_city", "drop_state", "drop_pincode"),
    "shipment_details": ("reference_number", "order_type", "invoice_value", "delivery_type", "courier_partner",
                         "length", "breadth", "height", "weight"),
}  # fmt: skip
ALREADY_PLACED = (323, "You have Already placed this order")
LABEL_HOST = "https://labels.clickpost.invalid"  # assumption: where the sandbox says labels are


def _number(value: Any) -> Decimal | None:
    try:
        return None if isinstance(value, bool) or value is None else Decimal(str(value))
    except InvalidOperation:
        return None


def _validate(body: Any) -> dict[str, Any]:
    """The shipment details of a valid order; ClickPost's order-creation error otherwise (HTTP 400)."""
    if not isinstance(body, dict):
        raise clickpost_error(400, 328, "Invalid POST data")
    for section, fields in REQUIRED.items():
        part = body.get(section)
        if not isinstance(part, dict):
            raise clickpost_error(400, 314, f"Invalid Format Of Order Data: {section} is required")
        missing = [name for name in fields if part.get(name) in (None, "")]
        if missing:
            raise clickpost_error(400, 314, f"Invalid Format Of Order Data: {', '.join(missing)} required")
    details: dict[str, Any] = body["shipment_details"]
    if str(details["order_type"]).upper() not in ("COD", "PREPAID"):
        raise clickpost_error(400, 307, "You have entered invalid Order Type")
    if str(details["delivery_type"]).upper() not in ("FORWARD", "RVP"):
        raise clickpost_error(400, 309, "Invalid Delivery Type")
    additional = body.get("additional") if isinstance(body.get("additional"), dict) else {}
    if str(details["delivery_type"]).upper() == "RVP" and not additional.get("rvp_reason"):
        raise clickpost_error(400, 310, "RVP reason is missing")
    items = details.get("items")
    if not items:
        raise clickpost_error(400, 312, "Items Data is missing from order details")
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise clickpost_error(400, 313, "Invalid Format of items for Order data")
    invoice, cod = _number(details["invoice_value"]), _number(details.get("cod_value") or 0)
    cod_order = str(details["order_type"]).upper() == "COD"
    if invoice is None or cod is None or (cod_order and not 0 < cod <= invoice) or (not cod_order and cod != 0):
        raise clickpost_error(400, 315, "Invalid Cod Value")
    return details


def create_order(ctx: ClickPostContext, body: Any) -> dict[str, Any]:
    """`POST /api/v3/create-order/`: the AWB and label of a new order, or (323) of the one placed before."""
    details = _validate(body)
    reference = str(details["reference_number"])
    placed = ctx.state.clickpost.orders.get(reference)
    if placed is not None:
        replays = ctx.state.clickpost.replays
        replays[reference] = replays.get(reference, 0) + 1
        return envelope(*ALREADY_PLACED, copy.deepcopy(placed["result"]), success=False)
    cp_id, courier_name = ctx.courier(details["courier_partner"])
    waybill = f"{cp_id:02d}{ctx.new_id(77_000_000_000):011d}"
    result = {
        "waybill": waybill,
        "label": f"{LABEL_HOST}/{waybill}.pdf",
        "reference_number": reference,
        "courier_partner_id": cp_id,
        "courier_name": courier_name,
        "sort_code": "DEL/ABC",
        "security_key": None,
    }
    ctx.state.clickpost.orders[reference] = {"request": copy.deepcopy(body), "result": result}
    start_tracking(
        ctx, waybill, cp_id, 1, account_code=details.get("account_code"), reference_number=reference,
        delivery_type=str(details["delivery_type"]).upper(),
    )  # fmt: skip
    return envelope(200, "SUCCESS", copy.deepcopy(result))


def fetch_order(ctx: ClickPostContext, reference_number: str, awb: str, cp_id: str) -> dict[str, Any]:
    """`GET /api/v3/create-order/`: an order placed before, by `reference_number` or by `awb` and `cp_id`
    (assumption: an unknown one is answered 404)."""
    orders = ctx.state.clickpost.orders.values()
    if reference_number:
        found = ctx.state.clickpost.orders.get(reference_number)
    else:
        found = next((o for o in orders if o["result"]["waybill"] == awb
                      and str(o["result"]["courier_partner_id"]) == cp_id), None)  # fmt: skip
    if found is None:
        raise clickpost_error(404, 404, "Order not found")
    return envelope(200, "SUCCESS", copy.deepcopy(found["result"]))
