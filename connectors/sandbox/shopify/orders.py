"""Realistic Shopify orders (with their fulfillment order) and the demo catalogue seeded after each reset."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from connectors.sandbox.shopify.context import ShopifyContext
from connectors.sandbox.state import SandboxState
from connectors.sandbox.timestamps import parse_time

DEMO_LOCATION = {"id": 65_000_000_001, "name": "Eshopbox Warehouse GGN", "city": "Gurugram", "country_code": "IN"}
DEMO_ITEMS = [("ESB-TEE-RED-M", 44_000_000_001), ("ESB-TEE-BLUE-L", 44_000_000_002), ("ESB-MUG-WHITE", 44_000_000_003)]
DEMO_ADDRESS = {
    "first_name": "Asha",
    "last_name": "Verma",
    "name": "Asha Verma",
    "address1": "12, MG Road",
    "address2": "Near Metro Station",
    "city": "Gurugram",
    "province": "Haryana",
    "province_code": "HR",
    "country": "India",
    "country_code": "IN",
    "zip": "122002",
    "phone": "+919876543210",
    "company": None,
}


def seed_demo_data(state: SandboxState) -> None:
    data = state.shopify
    data.locations[DEMO_LOCATION["id"]] = dict(DEMO_LOCATION)
    for sku, item_id in DEMO_ITEMS:
        data.inventory_items[item_id] = {"id": item_id, "sku": sku, "variant_id": item_id + 1_000_000, "tracked": True}


def _item_for_sku(ctx: ShopifyContext, sku: str) -> dict[str, Any]:
    """The inventory item of `sku`; an order for an unknown SKU creates its product variant on the fly."""
    for item in ctx.state.shopify.inventory_items.values():
        if item["sku"] == sku:
            return item
    item_id = ctx.new_id()
    item = {"id": item_id, "sku": sku, "variant_id": ctx.new_id(), "tracked": True}
    ctx.state.shopify.inventory_items[item_id] = item
    return item


def _money(value: Any) -> str:
    return f"{Decimal(str(value)).quantize(Decimal('0.01'))}"


def create_order(ctx: ShopifyContext, spec: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A realistic order (and its fulfillment order) from a small spec; call with the state lock held."""
    data = ctx.state.shopify
    lines = spec.get("line_items") or [{"sku": spec.get("sku", DEMO_ITEMS[0][0]), "quantity": spec.get("quantity", 1)}]
    created = parse_time(spec["created_at"], ctx.tz) if spec.get("created_at") else None
    created_at = ctx.ts(created)
    updated_at = ctx.ts(parse_time(spec["updated_at"], ctx.tz)) if spec.get("updated_at") else created_at
    order_id, number = ctx.new_id(), data.next_order_number
    data.next_order_number += 1
    location = next(iter(data.locations.values()), DEMO_LOCATION)
    line_items, subtotal = [], Decimal(0)
    for line in lines:
        item, quantity = _item_for_sku(ctx, str(line["sku"])), int(line.get("quantity", 1))
        price = Decimal(str(line.get("price", "499.00")))
        subtotal += price * quantity
        line_id = ctx.new_id()
        line_items.append(
            {
                "id": line_id,
                "admin_graphql_api_id": f"gid://shopify/LineItem/{line_id}",
                "variant_id": item["variant_id"],
                "product_id": item["variant_id"] + 1_000_000,
                "sku": item["sku"],
                "title": line.get("title", item["sku"].replace("-", " ").title()),
                "name": line.get("title", item["sku"]),
                "variant_title": None,
                "vendor": "Sandbox",
                "quantity": quantity,
                "current_quantity": quantity,
                "fulfillable_quantity": quantity,
                "fulfillment_status": None,
                "fulfillment_service": "manual",
                "price": _money(price),
                "total_discount": "0.00",
                "grams": 250,
                "requires_shipping": True,
                "taxable": True,
                "gift_card": False,
                "product_exists": True,
                "properties": [],
                "tax_lines": [],
            }
        )
    tax = (subtotal * Decimal("0.18")).quantize(Decimal("0.01"))
    address = {**DEMO_ADDRESS, **(spec.get("shipping_address") or {})}
    email = spec.get("email", f"shopper{number}@example.com")
    order = {
        "id": order_id,
        "admin_graphql_api_id": f"gid://shopify/Order/{order_id}",
        "name": f"#{number}",
        "number": number - 1000,
        "order_number": number,
        "email": email,
        "contact_email": email,
        "phone": address.get("phone"),
        "created_at": created_at,
        "updated_at": updated_at,
        "processed_at": created_at,
        "closed_at": None,
        "cancelled_at": None,
        "cancel_reason": None,
        "confirmed": True,
        "test": True,
        "currency": "INR",
        "presentment_currency": "INR",
        "financial_status": spec.get("financial_status", "paid"),
        "fulfillment_status": None,
        "gateway": "manual",
        "payment_gateway_names": ["manual"],
        "source_name": "web",
        "subtotal_price": _money(subtotal),
        "total_line_items_price": _money(subtotal),
        "total_discounts": "0.00",
        "total_tax": _money(tax),
        "taxes_included": False,
        "total_price": _money(subtotal + tax),
        "total_weight": 250 * sum(line["quantity"] for line in line_items),
        "note": spec.get("note"),
        "tags": "",
        "customer": {
            "id": ctx.new_id(),
            "email": email,
            "first_name": address["first_name"],
            "last_name": address["last_name"],
            "phone": address.get("phone"),
        },
        "billing_address": dict(address),
        "shipping_address": address,
        "line_items": line_items,
        "shipping_lines": [],
        "tax_lines": [{"title": "IGST", "rate": 0.18, "price": _money(tax)}],
        "fulfillments": [],
        "refunds": [],
    }
    fo_id = ctx.new_id()
    fulfillment_order = {
        "id": fo_id,
        "shop_id": 1,
        "order_id": order_id,
        "assigned_location_id": location["id"],
        "request_status": "unsubmitted",
        "status": "open",
        "fulfill_at": created_at,
        "fulfill_by": None,
        "supported_actions": ["create_fulfillment", "request_fulfillment", "hold", "move"],
        "destination": {k: address.get(k) for k in ("address1", "address2", "city", "province", "zip", "phone")}
        | {
            "country": address.get("country"),
            "email": email,
            "first_name": address["first_name"],
            "last_name": address["last_name"],
        },
        "line_items": [
            {
                "id": ctx.new_id(),
                "shop_id": 1,
                "fulfillment_order_id": fo_id,
                "line_item_id": line["id"],
                "inventory_item_id": _item_for_sku(ctx, line["sku"])["id"],
                "quantity": line["quantity"],
                "fulfillable_quantity": line["quantity"],
                "variant_id": line["variant_id"],
            }
            for line in line_items
        ],
        "international_duties": None,
        "fulfillment_holds": [],
        "merchant_requests": [],
        "delivery_method": {"method_type": "shipping"},
        "assigned_location": {"location_id": location["id"], "name": location["name"]},
        "created_at": created_at,
        "updated_at": created_at,
    }
    data.orders[order_id], data.fulfillment_orders[fo_id] = order, fulfillment_order
    return copy.deepcopy(order), copy.deepcopy(fulfillment_order)
