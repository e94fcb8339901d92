"""What every WooCommerce route needs: the context, WooCommerce's date format, realistic orders and products
(the demo catalogue is seeded after each reset), and webhooks sent as `WC_Webhook::deliver` sends them."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connectors.sandbox.config import WooCommerceConfig
from connectors.sandbox.emission import Delivery, WebhookSender
from connectors.sandbox.state import SandboxState
from connectors.sandbox.timestamps import now, parse_time
from connectors.sandbox.woocommerce.authentication import wc_error

ORDER_STATUSES = ("pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed", "trash")
USER_AGENT = "WooCommerce/9.4.0 Hookshot (WordPress/6.7)"
DEMO_PRODUCTS = [  # (id, sku, name, parent_id): a simple product, a variable product and one of its variations
    (11, "ESB-MUG-WHITE", "White mug", 0),
    (12, "ESB-TEE", "Tee", 0),
    (13, "ESB-TEE-RED-M", "Tee - Red, M", 12),
]
DEMO_ADDRESS = {
    "first_name": "Asha",
    "last_name": "Verma",
    "company": "",
    "address_1": "12, MG Road",
    "address_2": "Near Metro Station",
    "city": "Gurugram",
    "state": "HR",
    "postcode": "122002",
    "country": "IN",
    "phone": "+919876543210",
}


def wc_date(moment: dt.datetime) -> str:
    """WooCommerce dates: `2024-10-02T10:00:00`, no offset (the `_gmt` twin is UTC; the demo store runs in UTC)."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


def webhook_signature(secret: str, body: bytes) -> str:
    """`X-WC-Webhook-Signature`: base64 of HMAC-SHA256 over the body as sent."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def invalid_id(kind: str) -> Any:
    return wc_error(f"woocommerce_rest_{kind}_invalid_id", "Invalid ID.", 404)


@dataclass
class WooCommerceContext:
    config: WooCommerceConfig
    state: SandboxState
    sender: WebhookSender

    def new_id(self) -> int:
        """Store-wide increasing ids (WordPress posts share one sequence); call with the lock held."""
        data = self.state.woocommerce
        data.next_id += 1
        return data.next_id

    def touch(self, record: dict[str, Any], moment: dt.datetime | None = None) -> None:
        stamp = wc_date(moment or now())
        record["date_modified"] = record["date_modified_gmt"] = stamp

    def emit(self, topic: str, payload: dict[str, Any], wait: bool = False) -> list[Delivery]:
        """POST `payload` to every active webhook on `topic`, signed, with WooCommerce's headers; no retries.
        A webhook that fails more than `max_webhook_failures` times in a row is disabled."""
        body = json.dumps(payload, separators=(",", ":")).encode()
        resource, _, event = topic.partition(".")
        with self.state.lock:
            hooks = [dict(h) for h in self.state.woocommerce.webhooks.values() if h["topic"] == topic]
        deliveries = []
        for hook in hooks:
            if hook["status"] != "active":
                continue
            delivery_id = hashlib.md5(
                f"{hook['id']}{time.time_ns()}".encode()
            ).hexdigest()  # WooCommerce: wp_hash(id . time)
            headers = {
                "User-Agent": USER_AGENT,
                "X-WC-Webhook-Source": "http://sandbox.example/",
                "X-WC-Webhook-Topic": topic,
                "X-WC-Webhook-Resource": resource,
                "X-WC-Webhook-Event": event,
                "X-WC-Webhook-Signature": webhook_signature(hook["secret"], body),
                "X-WC-Webhook-ID": str(hook["id"]),
                "X-WC-Webhook-Delivery-ID": delivery_id,
            }
            delivery = self.sender.send("woocommerce", topic, hook["delivery_url"], body, headers, wait=wait)
            deliveries.append(delivery)
            threading.Thread(target=self.record_outcome, args=(hook["id"], delivery), daemon=True).start()
        return deliveries

    def record_outcome(self, hook_id: int, delivery: Delivery) -> None:
        """Success (2xx, 301, 302) resets the failure count; failures past the maximum disable the webhook."""
        delivery.done.wait(120)
        with self.state.lock:
            hook = self.state.woocommerce.webhooks.get(hook_id)
            status = delivery.attempts[-1]["status"] if delivery.attempts else None
            if hook is None:
                return
            if status is not None and 200 <= status < 303:
                hook["failure_count"] = 0
            elif hook["failure_count"] > self.config.max_webhook_failures:
                hook["status"] = "disabled"
            else:
                hook["failure_count"] += 1


def seed_demo_data(state: SandboxState) -> None:
    stamp = wc_date(now())
    for product_id, sku, name, parent in DEMO_PRODUCTS:
        state.woocommerce.products[product_id] = {
            "id": product_id,
            "name": name,
            "sku": sku,
            "type": "variation" if parent else "simple",
            "parent_id": parent,
            "manage_stock": True,
            "stock_quantity": 10,
            "stock_status": "instock",
            "price": "499.00",
            "date_modified": stamp,
            "date_modified_gmt": stamp,
        }


def new_product(ctx: WooCommerceContext, sku: str, name: str | None = None, **fields: Any) -> dict[str, Any]:
    """A simple product, stock not managed unless `fields` say so; call with the lock held."""
    product_id, stamp = ctx.new_id(), wc_date(now())
    product = {"id": product_id, "name": name or sku, "sku": sku, "type": "simple", "parent_id": 0, "price": "499.00"}
    product.update(manage_stock=False, stock_quantity=None, stock_status="instock")
    product.update(fields, date_modified=stamp, date_modified_gmt=stamp)
    if product["manage_stock"] and product["stock_quantity"] is not None:
        product["stock_status"] = "instock" if product["stock_quantity"] > 0 else "outofstock"
    ctx.state.woocommerce.products[product_id] = product
    return product


def _product_for_sku(ctx: WooCommerceContext, sku: str) -> dict[str, Any]:
    for product in ctx.state.woocommerce.products.values():
        if product["sku"] == sku:
            return product
    return new_product(ctx, sku)


def create_order(ctx: WooCommerceContext, spec: dict[str, Any]) -> dict[str, Any]:
    """A realistic wc/v3 order from a small spec (sku, quantity, price, line_items, status, date_modified,
    billing, shipping); call with the lock held."""
    lines = spec.get("line_items") or [
        {"sku": spec.get("sku", DEMO_PRODUCTS[0][1]), "quantity": spec.get("quantity", 1)}
    ]
    created = parse_time(spec["date_created"]) if spec.get("date_created") else now()
    modified = parse_time(spec["date_modified"]) if spec.get("date_modified") else created
    order_id = ctx.new_id()
    items, total = [], Decimal(0)
    for line in lines:
        product, quantity = _product_for_sku(ctx, str(line["sku"])), int(line.get("quantity", 1))
        price = Decimal(str(line.get("price", product["price"])))
        total += price * quantity
        items.append(
            {
                "id": ctx.new_id(),
                "name": product["name"],
                "product_id": product["parent_id"] or product["id"],
                "variation_id": product["id"] if product["parent_id"] else 0,
                "quantity": quantity,
                "tax_class": "",
                "subtotal": f"{price * quantity:.2f}",
                "subtotal_tax": "0.00",
                "total": f"{price * quantity:.2f}",
                "total_tax": "0.00",
                "taxes": [],
                "meta_data": [],
                "sku": product["sku"],
                "price": float(price),
            }
        )
    billing = {**DEMO_ADDRESS, "email": spec.get("email", "asha@example.com"), **spec.get("billing", {})}
    shipping = {k: v for k, v in {**DEMO_ADDRESS, **spec.get("shipping", {})}.items()}
    order = {
        "id": order_id,
        "parent_id": 0,
        "number": str(order_id),
        "order_key": f"wc_order_{hashlib.sha1(str(order_id).encode()).hexdigest()[:13]}",
        "created_via": "checkout",
        "version": "9.4.0",
        "status": spec.get("status", "processing"),
        "currency": "INR",
        "date_created": wc_date(created),
        "date_created_gmt": wc_date(created),
        "date_modified": wc_date(modified),
        "date_modified_gmt": wc_date(modified),
        "discount_total": "0.00",
        "shipping_total": "0.00",
        "total": f"{total:.2f}",
        "total_tax": "0.00",
        "prices_include_tax": False,
        "customer_id": 0,
        "customer_note": spec.get("customer_note", ""),
        "billing": billing,
        "shipping": shipping,
        "payment_method": spec.get("payment_method", "cod"),
        "payment_method_title": "Cash on delivery" if spec.get("payment_method", "cod") == "cod" else "Paid",
        "transaction_id": "",
        "date_paid": None,
        "date_completed": None,
        "line_items": items,
        "shipping_lines": [],
        "meta_data": [],
    }
    if order["status"] not in ORDER_STATUSES:
        raise ValueError(f"unknown status {order['status']}")
    ctx.state.woocommerce.orders[order_id] = order
    ctx.state.woocommerce.order_notes[order_id] = []
    return order
