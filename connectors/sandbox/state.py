"""In-memory state of all three simulators behind one lock; resettable per vendor or as a whole."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from connectors.sandbox.faults import Fault
from connectors.sandbox.throttling import Throttle

VENDORS = ("shopify", "eshopbox", "delhivery", "woocommerce", "flipkart", "magento", "amazon", "paytm_mall")


@dataclass
class ShopifyData:
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    fulfillment_orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    fulfillments: dict[int, dict[str, Any]] = field(default_factory=dict)
    fulfillment_events: dict[int, dict[str, Any]] = field(default_factory=dict)
    locations: dict[int, dict[str, Any]] = field(default_factory=dict)
    inventory_items: dict[int, dict[str, Any]] = field(default_factory=dict)  # id -> {id, sku, variant_id, ...}
    inventory_levels: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)  # (item, location)
    webhooks: dict[int, dict[str, Any]] = field(default_factory=dict)
    throttle: Throttle = field(default_factory=Throttle)  # call-limit bucket per shop, 429s per shop
    next_order_number: int = 1001


@dataclass
class EshopboxData:
    orders: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (channel, customerOrderNumber)
    shipments: dict[str, dict[str, Any]] = field(default_factory=dict)  # externalShipmentID -> shipment
    inventory: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (sku, warehouseId) -> row
    webhooks: dict[int, dict[str, Any]] = field(default_factory=dict)
    courier_updates: list[dict[str, Any]] = field(default_factory=list)
    # customerOrderNumber -> creates refused with 409: a create sent again for an order that exists (a blind resend)
    refused_duplicates: dict[str, int] = field(default_factory=dict)
    token_calls: int = 0
    tokens_issued: int = 0
    throttle: Throttle = field(default_factory=Throttle)  # token endpoint and API per client id, 429s per client


@dataclass
class DelhiveryData:
    shipments: dict[str, dict[str, Any]] = field(default_factory=dict)  # AWB -> tracking record
    scans: list[dict[str, Any]] = field(default_factory=list)
    webhook: dict[str, Any] = field(default_factory=dict)  # {url, header, token}
    throttle: Throttle = field(default_factory=Throttle)  # tracking per client IP, 429s per IP


@dataclass
class WooCommerceData:
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    order_notes: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # order id -> notes
    products: dict[int, dict[str, Any]] = field(default_factory=dict)  # variations too, with parent_id
    webhooks: dict[int, dict[str, Any]] = field(default_factory=dict)
    nonces: dict[str, float] = field(default_factory=dict)  # OAuth 1.0a nonce -> timestamp, per store
    next_id: int = 100


@dataclass
class FlipkartData:
    shipments: dict[str, dict[str, Any]] = field(default_factory=dict)  # shipmentId -> shipment (with its buyer)
    listings: dict[str, dict[str, Any]] = field(default_factory=dict)  # sku -> {sku, product_id, locations}
    next_tokens: dict[str, dict[str, Any]] = field(default_factory=dict)  # next_token -> {filter, offset, size}
    tokens_valid_after: float = 0.0  # tokens issued before this (epoch seconds) are expired
    webhook_url: str | None = None  # set by the control API; else the config's
    token_calls: int = 0
    throttle: Throttle = field(default_factory=Throttle)  # API per app id, 429s per app id


@dataclass
class MagentoData:
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)  # entity_id -> order
    shipments: dict[int, dict[str, Any]] = field(default_factory=dict)  # entity_id -> shipment
    source_items: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (sku, source_code) -> row
    admin_tokens: dict[str, float] = field(default_factory=dict)  # token -> expiry (epoch seconds)
    nonces: dict[str, float] = field(default_factory=dict)  # OAuth 1.0a nonce -> timestamp
    token_requests: int = 0
    next_id: int = 0


@dataclass
class AmazonData:
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)  # AmazonOrderId -> order
    order_items: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # AmazonOrderId -> items
    confirmations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # AmazonOrderId -> packageDetails
    listings: dict[str, dict[str, Any]] = field(default_factory=dict)  # sku -> {sku, productType, quantity, ...}
    next_tokens: dict[str, dict[str, Any]] = field(default_factory=dict)  # NextToken -> {query, offset}
    tokens_valid_after: float = 0.0  # access tokens issued before this (epoch seconds) are expired
    token_calls: int = 0
    throttle: Throttle = field(default_factory=Throttle)  # a bucket per (operation, LWA client), 429s per client


@dataclass
class PaytmMallData:
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)  # order id -> order (items inside)
    fulfillments: dict[str, dict[str, Any]] = field(default_factory=dict)  # fulfillment id -> fulfillment
    products: dict[str, dict[str, Any]] = field(default_factory=dict)  # sku -> {sku, qty, price, mrp, status}
    codes: dict[str, float] = field(default_factory=dict)  # authorization code -> expiry (single use)
    tokens: dict[str, float] = field(default_factory=dict)  # authtoken -> expiry (epoch seconds)
    login_calls: int = 0  # POST /oauth2/authorize
    token_calls: int = 0  # POST /oauth2/token


_DATA: dict[str, Callable[[], Any]] = {
    "shopify": ShopifyData,
    "eshopbox": EshopboxData,
    "delhivery": DelhiveryData,
    "woocommerce": WooCommerceData,
    "flipkart": FlipkartData,
    "magento": MagentoData,
    "amazon": AmazonData,
    "paytm_mall": PaytmMallData,
}


class SandboxState:
    """All simulator data. Take `lock` around every read-modify-write; webhook threads record here too."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._ids = itertools.count(1)
        self._seeders: dict[str, list[Callable[[SandboxState], None]]] = {vendor: [] for vendor in VENDORS}
        self.shopify, self.eshopbox, self.delhivery = ShopifyData(), EshopboxData(), DelhiveryData()
        self.woocommerce = WooCommerceData()
        self.flipkart = FlipkartData()
        self.magento = MagentoData()
        self.amazon = AmazonData()
        self.paytm_mall = PaytmMallData()
        self.deliveries: dict[str, Any] = {}  # delivery id -> emission.Delivery
        self.faults: dict[str, list[Fault]] = {vendor: [] for vendor in VENDORS}  # set by `/_sandbox/faults`

    def next_id(self, base: int = 0) -> int:
        """Process-wide unique, increasing ids (offset by `base` so they look like the vendor's)."""
        with self.lock:
            return base + next(self._ids)

    def on_reset(self, vendor: str, seeder: Callable[[SandboxState], None]) -> None:
        """Run `seeder` now and after every reset of `vendor` (demo data)."""
        self._seeders[vendor].append(seeder)
        with self.lock:
            seeder(self)

    def reset(self, vendor: str | None = None) -> None:
        vendors = VENDORS if vendor is None else (vendor,)
        with self.lock:
            for name in vendors:
                setattr(self, name, _DATA[name]())
                self.deliveries = {key: d for key, d in self.deliveries.items() if d.vendor != name}
                self.faults[name] = []
                for seeder in self._seeders[name]:
                    seeder(self)

    def deliveries_of(self, vendor: str) -> list[dict[str, Any]]:
        with self.lock:
            return [d.as_dict() for d in self.deliveries.values() if d.vendor == vendor]
