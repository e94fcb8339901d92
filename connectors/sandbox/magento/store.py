"""Magento's data as the REST API shows it: orders (with items, addresses, shipping assignments), shipments with
tracks, MSI source items; the demo catalogue seeded after each reset; and `ShipOrder`'s validation."""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connectors.sandbox.config import MagentoConfig
from connectors.sandbox.magento.authentication import magento_error
from connectors.sandbox.state import SandboxState
from connectors.sandbox.timestamps import now, parse_time
from connectors.sandbox.vendor_api import VendorError

DEMO_SKUS = {"ESB-TEE-RED-M": "Tee - Red, M", "ESB-TEE-BLUE-L": "Tee - Blue, L", "ESB-MUG-WHITE": "White mug"}
DEMO_ADDRESS = {
    "firstname": "Asha",
    "lastname": "Verma",
    "street": ["12, MG Road", "Near Metro Station"],
    "city": "Gurugram",
    "region": "Haryana",
    "region_code": "HR",
    "postcode": "122002",
    "country_id": "IN",
    "telephone": "+919876543210",
}
NOT_FOUND = "The entity that was requested doesn't exist. Verify the entity and try again."
NOT_SHIPPABLE = "The order does not allow a shipment to be created."
NO_PRODUCTS = "You can't create a shipment without products."
TOO_MANY = "The quantity to ship must not be greater than the unshipped quantity for the product."  # assumption


def magento_date(moment: dt.datetime) -> str:
    """Magento stores and answers `created_at`/`updated_at` in UTC as `2024-10-02 10:00:00`."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def validation_failed(*messages: str) -> Any:
    """`DocumentValidationException` of `ShipOrder`: every message after a heading, one per line."""
    return magento_error(400, "Shipment Document Validation Error(s):\n" + "\n".join(messages))


@dataclass
class MagentoContext:
    config: MagentoConfig
    state: SandboxState

    def new_id(self) -> int:
        """One increasing sequence for every entity (call with the lock held)."""
        self.state.magento.next_id += 1
        return self.state.magento.next_id

    def order(self, order_id: int) -> dict[str, Any]:
        order = self.state.magento.orders.get(order_id)
        if order is None:
            raise magento_error(404, NOT_FOUND)
        return order


def seed_demo_data(state: SandboxState, source_code: str = "default") -> None:
    for sku in DEMO_SKUS:
        state.magento.source_items[(sku, source_code)] = {
            "sku": sku, "source_code": source_code, "quantity": 10.0, "status": 1,
        }  # fmt: skip


def _shipping_address(order_id: int, address: dict[str, Any], email: str) -> dict[str, Any]:
    return {**address, "address_type": "shipping", "email": email, "parent_id": order_id}


def create_order(ctx: MagentoContext, spec: dict[str, Any]) -> dict[str, Any]:
    """A realistic order from a small spec (sku, quantity, price, items[{sku, qty, price}], payment_method,
    status, created_at, updated_at, email); call with the lock held."""
    lines = spec.get("items") or [{"sku": spec.get("sku", "ESB-TEE-RED-M"), "qty": spec.get("quantity", 1)}]
    created = parse_time(spec["created_at"]) if spec.get("created_at") else now()
    updated = parse_time(spec["updated_at"]) if spec.get("updated_at") else created
    order_id, email = ctx.new_id(), spec.get("email", "asha@example.com")
    method = spec.get("payment_method", "checkmo")
    invoiced = method != "cashondelivery"  # paid orders are invoiced at once; COD is invoiced on delivery
    items, subtotal = [], Decimal(0)
    for line in lines:
        sku, qty = str(line["sku"]), int(line.get("qty", 1))
        price = Decimal(str(line.get("price", spec.get("price", "499.00"))))
        subtotal += price * qty
        items.append({
            "item_id": ctx.new_id(), "order_id": order_id, "parent_item_id": None, "sku": sku,
            "name": DEMO_SKUS.get(sku, sku), "product_type": "simple", "qty_ordered": qty, "qty_shipped": 0,
            "qty_invoiced": qty if invoiced else 0, "price": float(price), "base_price": float(price),
            "row_total": float(price * qty), "tax_amount": 0, "discount_amount": 0,
        })  # fmt: skip
    shipping = Decimal(str(spec.get("shipping_amount", "0")))
    address = {**DEMO_ADDRESS, **spec.get("address", {})}
    state = spec.get("status", "processing" if invoiced else "pending")
    order = {
        "entity_id": order_id,
        "increment_id": f"{order_id:09d}",
        "store_id": 1,
        "state": "new" if state == "pending" else state,
        "status": state,
        "created_at": magento_date(created),
        "updated_at": magento_date(updated),
        "customer_email": email,
        "customer_firstname": address["firstname"],
        "customer_lastname": address["lastname"],
        "customer_is_guest": 1,
        "base_currency_code": "INR",
        "order_currency_code": "INR",
        "subtotal": float(subtotal),
        "shipping_amount": float(shipping),
        "tax_amount": 0,
        "discount_amount": 0,
        "grand_total": float(subtotal + shipping),
        "total_paid": float(subtotal + shipping) if invoiced else 0,
        "total_qty_ordered": sum(item["qty_ordered"] for item in items),
        "items": items,
        "billing_address": {**address, "address_type": "billing", "email": email, "parent_id": order_id},
        "payment": {"method": method, "amount_ordered": float(subtotal + shipping)},
        "status_histories": [],
        "extension_attributes": {
            "shipping_assignments": [
                {
                    "shipping": {"address": _shipping_address(order_id, address, email), "method": "flatrate_flatrate"},
                    "items": copy.deepcopy(items),
                }
            ],
        },  # fmt: skip
    }
    ctx.state.magento.orders[order_id] = order
    return order


def _quantities(order: dict[str, Any], requested: list[dict[str, Any]] | None) -> dict[int, float]:
    """Quantity to ship per order item: every remaining one without `items`, else the listed ones."""
    remaining = {item["item_id"]: item["qty_ordered"] - item["qty_shipped"] for item in order["items"]}
    if not requested:
        return {item_id: qty for item_id, qty in remaining.items() if qty > 0}
    wanted: dict[int, float] = {}
    for line in requested:
        item_id, qty = int(line.get("order_item_id", 0)), float(line.get("qty", 0))
        if item_id not in remaining:
            raise magento_error(404, NOT_FOUND)
        if qty > remaining[item_id]:
            raise validation_failed(TOO_MANY)
        if qty > 0:
            wanted[item_id] = qty
    return wanted


def ship_order(ctx: MagentoContext, order_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """`POST /V1/order/{id}/ship`: a shipment with its tracks; a fully shipped (and invoiced) order becomes
    complete. An order with nothing left to ship is refused with 400, as `ShipOrder` refuses it."""
    order = ctx.order(order_id)
    quantities = _quantities(order, body.get("items"))
    problems = []
    if order["state"] in ("canceled", "holded", "closed", "complete", "payment_review") or not any(
        item["qty_ordered"] > item["qty_shipped"] for item in order["items"]
    ):
        problems.append(NOT_SHIPPABLE)
    if not quantities:
        problems.append(NO_PRODUCTS)
    if problems:
        raise validation_failed(*problems)
    shipment_id = ctx.new_id()
    items = {item["item_id"]: item for item in order["items"]}
    tracks = [
        {"entity_id": ctx.new_id(), "parent_id": shipment_id, "order_id": order_id,
         "track_number": str(track.get("track_number", "")), "title": track.get("title", ""),
         "carrier_code": track.get("carrier_code", "custom")}
        for track in body.get("tracks") or []
    ]  # fmt: skip
    stamp = magento_date(now())
    shipment = {
        "entity_id": shipment_id,
        "increment_id": f"{shipment_id:09d}",
        "order_id": order_id,
        "store_id": order["store_id"],
        "total_qty": sum(quantities.values()),
        "created_at": stamp,
        "updated_at": stamp,
        "items": [
            {
                "entity_id": ctx.new_id(),
                "parent_id": shipment_id,
                "order_item_id": item_id,
                "sku": items[item_id]["sku"],
                "name": items[item_id]["name"],
                "qty": qty,
            }
            for item_id, qty in quantities.items()
        ],  # fmt: skip
        "tracks": tracks,
        "comments": [{"comment": body["comment"]["comment"]}] if isinstance(body.get("comment"), dict) else [],
        "extension_attributes": {
            "source_code": ((body.get("arguments") or {}).get("extension_attributes") or {}).get("source_code")
            or ctx.config.source_code
        },
    }
    for item_id, qty in quantities.items():
        items[item_id]["qty_shipped"] += qty
    if all(item["qty_shipped"] >= item["qty_ordered"] for item in order["items"]):
        invoiced = all(item["qty_invoiced"] >= item["qty_ordered"] for item in order["items"])
        order["state"] = order["status"] = "complete" if invoiced else "processing"
    else:
        order["state"] = order["status"] = "processing"
    order["updated_at"] = stamp
    ctx.state.magento.shipments[shipment_id] = shipment
    return shipment


def _numeric(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def save_source_items(ctx: MagentoContext, body: Any) -> None:
    """`POST /V1/inventory/source-items`: every row is validated before any is saved (all or nothing)."""
    rows = body.get("sourceItems") if isinstance(body, dict) else None
    if not isinstance(rows, list) or not rows:
        raise magento_error(400, '"%fieldName" is required. Enter and try again.', fieldName="sourceItems")
    errors = []
    for row in rows:
        if not isinstance(row, dict) or not str(row.get("sku") or "").strip():
            errors.append({"message": '"%field" can not be empty.', "parameters": {"field": "sku"}})
        elif not str(row.get("source_code") or "").strip():
            errors.append({"message": '"%field" can not be empty.', "parameters": {"field": "source_code"}})
        elif row.get("status") not in (0, 1, "0", "1"):
            errors.append({"message": '"%field" should be numeric.', "parameters": {"field": "status"}})
        elif not _numeric(row.get("quantity")):
            errors.append({"message": '"%field" should be numeric.', "parameters": {"field": "quantity"}})
    if errors:
        raise VendorError(400, {"message": "Validation Failed", "errors": errors})
    for row in rows:
        sku, source = str(row["sku"]), str(row["source_code"])
        ctx.state.magento.source_items[(sku, source)] = {
            "sku": sku, "source_code": source, "quantity": float(row["quantity"]), "status": int(row["status"]),
        }  # fmt: skip
