"""Shiprocket's orders and shipments as its API shows them: adhoc orders (validated as Shiprocket validates them,
`order_id` unique for ever), AWBs, pickups, scans, tracking, and the webhook payload of a scan. Every function
expects the state lock to be held."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.sandbox.shiprocket.authentication import COMPANY_ID, shiprocket_error
from connectors.sandbox.shiprocket.settings import ShiprocketConfig
from connectors.sandbox.shiprocket.statuses import (
    COURIER_CODES,
    ORDER_STATUS_IDS,
    SHIPMENT_STATUSES,
    sr_time,
)
from connectors.sandbox.state import SandboxState

CHANNEL_ID = 3_422_553  # the account's "Custom" channel, which adhoc orders belong to
REQUIRED = (
    "order_id", "order_date", "pickup_location", "billing_customer_name", "billing_address", "billing_city",
    "billing_pincode", "billing_state", "billing_country", "billing_phone", "order_items", "payment_method",
    "sub_total", "length", "breadth", "height", "weight",
)  # fmt: skip
SHIPPING = ("shipping_customer_name", "shipping_address", "shipping_city", "shipping_pincode", "shipping_state",
            "shipping_country", "shipping_phone")  # fmt: skip
NO_ACTIVITY = "Aahh! There is no activities found in our DB. Please have some patience it will be updated soon."


@dataclass
class ShiprocketContext:
    config: ShiprocketConfig
    state: SandboxState

    def new_id(self, base: int) -> int:
        self.state.shiprocket.next_id += 1
        return base + self.state.shiprocket.next_id

    def shipment(self, shipment_id: Any) -> dict[str, Any] | None:
        try:
            return self.state.shiprocket.shipments.get(int(shipment_id))
        except (TypeError, ValueError):
            return None

    def by_awb(self, awb: str) -> dict[str, Any] | None:
        return next((s for s in self.state.shiprocket.shipments.values() if s["awb"] and s["awb"] == awb), None)


def _invalid(errors: dict[str, list[str]]) -> Exception:
    return shiprocket_error(422, "Oops! Invalid Data.", errors=errors)


def _number(value: Any) -> Decimal | None:
    try:
        return None if isinstance(value, bool) else Decimal(str(value))
    except InvalidOperation:
        return None


def _validate(ctx: ShiprocketContext, body: dict[str, Any]) -> None:
    errors = {name: [f"The {name.replace('_', ' ')} field is required."] for name in REQUIRED if body.get(name) in
              (None, "", [])}  # fmt: skip
    if not body.get("shipping_is_billing"):
        errors.update({name: [f"The {name.replace('_', ' ')} field is required when shipping is billing is false."]
                       for name in SHIPPING if not body.get(name)})  # fmt: skip
    if len(str(body.get("order_id", ""))) > 50:
        errors["order_id"] = ["The order id may not be greater than 50 characters."]
    if body.get("payment_method") and str(body["payment_method"]).lower() not in ("cod", "prepaid"):
        errors["payment_method"] = ["The selected payment method is invalid."]
    for name in ("sub_total", "length", "breadth", "height", "weight"):
        if name not in errors and _number(body[name]) is None:
            errors[name] = [f"The {name.replace('_', ' ')} must be a number."]
    items = body.get("order_items")
    if "order_items" not in errors and not isinstance(items, list):
        errors["order_items"] = ["The order items must be an array."]
    for index, item in enumerate(items if isinstance(items, list) else []):
        for name in ("name", "sku", "units", "selling_price"):
            if not isinstance(item, dict) or item.get(name) in (None, ""):
                errors[f"order_items.{index}.{name}"] = [f"The order_items.{index}.{name} field is required."]
    if errors:
        raise _invalid(errors)
    if body["pickup_location"] not in ctx.config.pickup_locations:
        raise shiprocket_error(
            422, "Wrong Pickup location entered. Please enter a valid pickup location.",
            data={"extra_info": ctx.config.pickup_locations},
        )  # fmt: skip


def create_adhoc_order(ctx: ShiprocketContext, body: Any) -> dict[str, Any]:
    """`POST /orders/create/adhoc`: one order and its shipment, status NEW. An `order_id` used before (even by a
    cancelled order) is refused with 422, and counted in `refused_duplicates`."""
    body = body if isinstance(body, dict) else {}
    _validate(ctx, body)
    data, channel_order_id = ctx.state.shiprocket, str(body["order_id"])
    if channel_order_id in data.channel_order_ids:
        data.refused_duplicates[channel_order_id] = data.refused_duplicates.get(channel_order_id, 0) + 1
        raise _invalid({"order_id": ["The order id has already been taken."]})
    order_id, shipment_id = ctx.new_id(400_000_000), ctx.new_id(300_000_000)
    billing_name = f"{body['billing_customer_name']} {body.get('billing_last_name') or ''}".strip()
    shipping = body if body.get("shipping_is_billing") else {k.replace("shipping_", "billing_"): v for k, v in
                                                              body.items() if k.startswith("shipping_")}  # fmt: skip
    created = sr_time()
    order = {
        "id": order_id, "channel_id": CHANNEL_ID, "channel_name": "CUSTOM", "channel_order_id": channel_order_id,
        "customer_name": billing_name, "customer_email": body.get("billing_email", ""),
        "customer_phone": str(body["billing_phone"]), "customer_address": body["billing_address"],
        "customer_city": shipping["billing_city"], "customer_state": shipping["billing_state"],
        "customer_pincode": str(shipping["billing_pincode"]), "pickup_location": body["pickup_location"],
        "payment_method": "cod" if str(body["payment_method"]).lower() == "cod" else "prepaid",
        "total": str(_number(body["sub_total"])), "status": "NEW", "status_code": 1,
        "channel_created_at": str(body["order_date"]), "created_at": created,
        "products": [{"name": i["name"], "channel_sku": i["sku"], "quantity": int(i["units"]),
                      "price": str(i["selling_price"])} for i in body["order_items"]],
        "shipments": [],
    }  # fmt: skip
    shipment = {
        "id": shipment_id, "order_id": order_id, "channel_order_id": channel_order_id, "awb": "",
        "courier_company_id": None, "courier": "", "status_id": None, "awb_assigned_date": "",
        "pickup_scheduled_date": "", "pickup_token_number": "", "etd": "", "weight": str(body["weight"]),
        "destination": shipping["billing_city"], "consignee_name": billing_name, "origin": body["pickup_location"],
        "delivered_date": "", "is_return": 0, "scans": [],
    }  # fmt: skip
    order["shipments"] = [_order_shipment(shipment)]
    data.orders[order_id], data.shipments[shipment_id] = order, shipment
    data.channel_order_ids[channel_order_id] = order_id
    return {"order_id": order_id, "channel_order_id": channel_order_id, "shipment_id": shipment_id, "status": "NEW",
            "status_code": 1, "onboarding_completed_now": 0, "awb_code": "", "courier_company_id": "",
            "courier_name": ""}  # fmt: skip


def _order_shipment(shipment: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": shipment["id"],
        "awb": shipment["awb"],
        "courier": shipment["courier"],
        "awb_assign_date": shipment["awb_assigned_date"] or None,
        "pickup_scheduled_date": shipment["pickup_scheduled_date"] or None,
        "etd": shipment["etd"] or None,
    }


def _refresh_order(ctx: ShiprocketContext, shipment: dict[str, Any]) -> None:
    order = ctx.state.shiprocket.orders[shipment["order_id"]]
    order["shipments"] = [_order_shipment(shipment)]
    if shipment["status_id"] is not None:
        order["status"] = SHIPMENT_STATUSES[shipment["status_id"]]
        order["status_code"] = ORDER_STATUS_IDS.get(shipment["status_id"], shipment["status_id"])


def list_orders(ctx: ShiprocketContext, search: str, page: int, per_page: int, base_url: str) -> dict[str, Any]:
    """`GET /orders?search=&page=&per_page=`: newest first. `search` matches a channel order id, a Shiprocket
    order id or an AWB exactly (assumption: Shiprocket's search box may also match partially)."""
    orders = sorted(ctx.state.shiprocket.orders.values(), key=lambda o: o["id"], reverse=True)
    if search:
        orders = [o for o in orders if search in (o["channel_order_id"], str(o["id"]))
                  or any(s["awb"] == search for s in o["shipments"])]  # fmt: skip
    total, start = len(orders), (page - 1) * per_page
    pages = max(1, -(-total // per_page))
    links = {"next": f"{base_url}?page={page + 1}&per_page={per_page}"} if page < pages else []
    return {
        "data": copy.deepcopy(orders[start : start + per_page]),
        "meta": {"pagination": {"total": total, "count": len(orders[start : start + per_page]), "per_page": per_page,
                                "current_page": page, "total_pages": pages, "links": links}},
    }  # fmt: skip


def assign_awb(ctx: ShiprocketContext, body: Any) -> dict[str, Any]:
    """`POST /courier/assign/awb {shipment_id, courier_id?}`. A shipment that has an AWB already is answered 200
    with `awb_assign_status: 0` and the reason (Shiprocket answers some errors in a 200), never a second AWB."""
    body = body if isinstance(body, dict) else {}
    if not body.get("shipment_id"):
        raise _invalid({"shipment_id": ["The shipment id field is required."]})
    shipment = ctx.shipment(body["shipment_id"])
    if shipment is None:
        raise shiprocket_error(400, f"Shipment id {body['shipment_id']} does not exist.")
    if shipment["awb"]:
        error = f"AWB is already assigned for shipment id {shipment['id']}"
        return {"awb_assign_status": 0, "response": {"data": {"awb_assign_error": error}}}
    shipment["awb"] = f"1904{shipment['id']:010d}"[-14:]
    shipment["courier_company_id"] = int(body.get("courier_id") or ctx.config.courier_id)
    shipment["courier"] = ctx.config.courier_name
    shipment["awb_assigned_date"] = sr_time()
    record_scan(ctx, shipment, 1, activity="AWB assigned", location=shipment["origin"], status="")
    return {"awb_assign_status": 1, "response": {"data": {
        "courier_company_id": shipment["courier_company_id"], "awb_code": shipment["awb"], "cod": 0,
        "order_id": shipment["order_id"], "shipment_id": shipment["id"], "awb_code_status": 1,
        "assigned_date_time": {"date": shipment["awb_assigned_date"] + ".000000", "timezone_type": 3,
                               "timezone": "Asia/Kolkata"},
        "applied_weight": float(shipment["weight"]), "company_id": COMPANY_ID, "courier_name": shipment["courier"],
        "child_courier_name": None, "pickup_scheduled_date": None, "routing_code": "DEL/ABC",
        "rto_routing_code": "", "invoice_no": f"Retail{shipment['order_id']}", "transporter_id": "",
        "transporter_name": "", "shipped_by": {},
    }}}  # fmt: skip


def generate_pickup(ctx: ShiprocketContext, body: Any) -> dict[str, Any]:
    """`POST /courier/generate/pickup {shipment_id: [id]}`: a shipment without an AWB, or already queued for
    pickup, is refused with 400 (assumed messages)."""
    ids = (body or {}).get("shipment_id") if isinstance(body, dict) else None
    ids = ids if isinstance(ids, list) else [ids] if ids else []
    if not ids:
        raise _invalid({"shipment_id": ["The shipment id field is required."]})
    shipments = [ctx.shipment(value) for value in ids]
    if any(s is None for s in shipments):
        raise shiprocket_error(400, "Invalid shipment id.")
    for shipment in shipments:
        assert shipment is not None
        if not shipment["awb"]:
            raise shiprocket_error(400, "Please assign AWB to the shipment before generating the pickup.")
        if shipment["pickup_scheduled_date"]:
            raise shiprocket_error(400, "Already in Pickup Queue.")
    scheduled = sr_time()
    for shipment in shipments:
        assert shipment is not None
        shipment["pickup_scheduled_date"] = scheduled
        shipment["pickup_token_number"] = f"Reference No: {shipment['id']}"
        record_scan(ctx, shipment, 4, activity="Pickup queued", location=shipment["origin"], status="")
    first = shipments[0]
    assert first is not None
    return {"pickup_status": 1, "response": {
        "pickup_scheduled_date": scheduled, "pickup_token_number": first["pickup_token_number"], "status": 3,
        "others": "", "pickup_generated_date": {"date": scheduled + ".000000", "timezone_type": 3,
                                                "timezone": "Asia/Kolkata"},
        "data": f"Pickup is confirmed by {ctx.config.courier_name} For AWB :- {first['awb']}",
    }}  # fmt: skip


def record_scan(
    ctx: ShiprocketContext, shipment: dict[str, Any], status_id: int, *, activity: str, location: str,
    status: str | None = None, at: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """A courier scan moving the shipment to `status_id`; the scan as a webhook's `scans[]` shows it."""
    label = SHIPMENT_STATUSES[status_id]
    scan = {"date": at or sr_time(), "status": COURIER_CODES.get(status_id, "") if status is None else status,
            "activity": activity or label.title(), "location": location, "sr-status": str(status_id),
            "sr-status-label": label}  # fmt: skip
    shipment["scans"].append(scan)
    shipment["status_id"] = status_id
    if status_id == 7:
        shipment["delivered_date"] = scan["date"]
    _refresh_order(ctx, shipment)
    return scan


def webhook_payload(ctx: ShiprocketContext, shipment: dict[str, Any], moment: str) -> dict[str, Any]:
    """What Shiprocket pushes for the shipment's latest status (scans oldest first: an assumption)."""
    status_id = shipment["status_id"]
    label = SHIPMENT_STATUSES[status_id]
    return {
        "awb": shipment["awb"], "courier_name": shipment["courier"], "current_status": label,
        "current_status_id": ORDER_STATUS_IDS.get(status_id, status_id), "shipment_status": label,
        "shipment_status_id": status_id, "current_timestamp": moment,
        "order_id": shipment["channel_order_id"], "sr_order_id": shipment["order_id"],
        "awb_assigned_date": shipment["awb_assigned_date"], "pickup_scheduled_date": shipment["pickup_scheduled_date"],
        "etd": shipment["etd"], "scans": copy.deepcopy(shipment["scans"]), "is_return": shipment["is_return"],
        "channel_id": CHANNEL_ID, "pod_status": "", "pod": "", "qc_image": "", "qc_failure_reason": "",
    }  # fmt: skip


def track(ctx: ShiprocketContext, awb: str) -> dict[str, Any]:
    """`GET /courier/track/awb/{awb}`: activities newest first. An AWB the account does not know answers 200 with
    no track and Shiprocket's "no activities" error (assumption)."""
    shipment = ctx.by_awb(awb)
    if shipment is None:
        return {"tracking_data": {"track_status": 0, "shipment_status": 0, "shipment_track": [],
                                  "shipment_track_activities": None, "error": NO_ACTIVITY}}  # fmt: skip
    status_id = shipment["status_id"]
    entry = {
        "id": shipment["id"] + 7, "awb_code": shipment["awb"], "courier_company_id": shipment["courier_company_id"],
        "shipment_id": shipment["id"], "order_id": shipment["order_id"],
        "pickup_date": next((s["date"] for s in shipment["scans"] if s["sr-status"] == "42"), None),
        "delivered_date": shipment["delivered_date"] or None, "weight": shipment["weight"], "packages": 1,
        "current_status": SHIPMENT_STATUSES[status_id].title() if status_id else "",
        "delivered_to": shipment["destination"] if status_id == 7 else "", "destination": shipment["destination"],
        "consignee_name": shipment["consignee_name"], "origin": shipment["origin"], "courier_agent_details": None,
        "courier_name": shipment["courier"], "edd": shipment["etd"] or None, "pod": "", "pod_status": "",
    }  # fmt: skip
    return {"tracking_data": {
        "track_status": 1, "shipment_status": status_id, "shipment_track": [entry],
        "shipment_track_activities": [
            {"date": s["date"], "status": s["status"], "activity": s["activity"], "location": s["location"],
             "sr-status": s["sr-status"], "sr-status-label": s["sr-status-label"]}
            for s in reversed(shipment["scans"])
        ],
        "track_url": f"https://shiprocket.co/tracking/{shipment['awb']}", "etd": shipment["etd"],
    }}  # fmt: skip
