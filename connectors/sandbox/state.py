"""In-memory state of all three simulators behind one lock; resettable per vendor or as a whole."""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from connectors.sandbox.business_central.data import BusinessCentralData
from connectors.sandbox.clickpost.data import ClickPostData
from connectors.sandbox.faults import Fault
from connectors.sandbox.ginesys.data import GinesysData
from connectors.sandbox.marg.data import MargData
from connectors.sandbox.sap_business_one.data import SapBusinessOneData
from connectors.sandbox.sap_s4hana.data import SapS4hanaData
from connectors.sandbox.shiprocket.data import ShiprocketData
from connectors.sandbox.throttling import Throttle
from connectors.sandbox.timestamps import parse_time

VENDORS = (
    "shopify",
    "eshopbox",
    "delhivery",
    "woocommerce",
    "flipkart",
    "magento",
    "amazon",
    "paytm_mall",
    "sap_s4hana",
    "business_central",
    "sap_business_one",
    "shiprocket",
    "ginesys",
    "marg",
    "clickpost",
)


class InventoryItems(dict[int, dict[str, Any]]):
    """Shopify inventory items by id, indexed as they are stored: `by_sku` (sku -> ids, in insertion order) and
    `ids` (every id, ascending) stay in step with every write, so SKU lookups and cursor pages never scan.
    Replace an item to change its SKU (`items[id] = {...}`); changing `item["sku"]` in place is not seen."""

    def __init__(self, items: Iterable[tuple[int, dict[str, Any]]] = ()) -> None:
        super().__init__()
        self.by_sku: dict[str, dict[int, None]] = {}
        self.ids: list[int] = []
        self.add_many(items)

    def __reduce__(self) -> Any:  # copies rebuild the indexes from the items
        return type(self), (list(self.items()),)

    def __setitem__(self, item_id: int, item: dict[str, Any]) -> None:
        old = self.get(item_id)
        if old is not None:
            self._unindex(item_id, old)
        elif not self.ids or item_id > self.ids[-1]:
            self.ids.append(item_id)
        else:
            bisect.insort(self.ids, item_id)
        super().__setitem__(item_id, item)
        self.by_sku.setdefault(str(item.get("sku")), {})[item_id] = None

    def __delitem__(self, item_id: int) -> None:
        self._unindex(item_id, self[item_id])
        super().__delitem__(item_id)
        del self.ids[bisect.bisect_left(self.ids, item_id)]

    def _unindex(self, item_id: int, item: dict[str, Any]) -> None:
        same = self.by_sku.get(str(item.get("sku")), {})
        same.pop(item_id, None)
        if not same:
            self.by_sku.pop(str(item.get("sku")), None)

    def pop(self, item_id: int, *default: Any) -> Any:
        if item_id not in self:
            return super().pop(item_id, *default)
        item = self[item_id]
        del self[item_id]
        return item

    def popitem(self) -> tuple[int, dict[str, Any]]:
        item_id = next(reversed(self))
        return item_id, self.pop(item_id)

    def setdefault(self, item_id: int, default: Any = None) -> Any:
        if item_id not in self:
            self[item_id] = default
        return self[item_id]

    def update(self, *others: Any, **named: Any) -> None:
        self.add_many(dict(*others, **named).items())

    def __ior__(self, other: Any) -> InventoryItems:
        self.update(other)
        return self

    def clear(self) -> None:
        super().clear()
        self.by_sku.clear()
        self.ids.clear()

    def add_many(self, items: Iterable[tuple[int, dict[str, Any]]]) -> None:
        """Store many items at once: one sort of the ids, not one insertion each."""
        appended = False
        for item_id, item in items:
            old = self.get(item_id)
            if old is not None:
                self._unindex(item_id, old)
            else:
                self.ids.append(item_id)
                appended = True
            super().__setitem__(item_id, item)
            self.by_sku.setdefault(str(item.get("sku")), {})[item_id] = None
        if appended:
            self.ids.sort()

    def ids_for_sku(self, sku: str) -> list[int]:
        return list(self.by_sku.get(sku, ()))


class InventoryRows(dict[tuple[str, str], dict[str, Any]]):
    """Eshopbox stock rows by (sku, warehouseId) with `ordered()`: every key sorted by (updatedAt, sku,
    warehouseId), the order `productListing` pages in. A write keeps the order with one bisect when it is built;
    `load` (many rows) drops it and the next `ordered()` sorts once. Replace a row to change it (`rows[key] =
    {...}`); changing `row["updatedAt"]` in place is not seen."""

    def __init__(self, rows: Iterable[tuple[tuple[str, str], dict[str, Any]]] = ()) -> None:
        super().__init__()
        self._order: list[tuple[dt.datetime, str, str]] | None = []
        self.load(rows)

    def __reduce__(self) -> Any:
        return type(self), (list(self.items()),)

    @staticmethod
    def sort_key(key: tuple[str, str], row: dict[str, Any]) -> tuple[dt.datetime, str, str]:
        return parse_time(row["updatedAt"]), key[0], key[1]

    def __setitem__(self, key: tuple[str, str], row: dict[str, Any]) -> None:
        if self._order is not None and (old := self.get(key)) is not None:
            self._discard(self.sort_key(key, old))
        if self._order is not None:
            bisect.insort(self._order, self.sort_key(key, row))
        super().__setitem__(key, row)

    def _discard(self, entry: tuple[dt.datetime, str, str]) -> None:
        assert self._order is not None
        at = bisect.bisect_left(self._order, entry)
        if at < len(self._order) and self._order[at] == entry:
            del self._order[at]
        else:  # cannot happen unless a row was changed in place: start over
            self._order = None

    def __delitem__(self, key: tuple[str, str]) -> None:
        if self._order is not None:
            self._discard(self.sort_key(key, self[key]))
        super().__delitem__(key)

    def pop(self, key: tuple[str, str], *default: Any) -> Any:
        if key not in self:
            return super().pop(key, *default)
        row = self[key]
        del self[key]
        return row

    def popitem(self) -> tuple[tuple[str, str], dict[str, Any]]:
        key = next(reversed(self))
        return key, self.pop(key)

    def setdefault(self, key: tuple[str, str], default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, *others: Any, **named: Any) -> None:
        self.load(dict(*others, **named).items())

    def __ior__(self, other: Any) -> InventoryRows:
        self.update(other)
        return self

    def clear(self) -> None:
        super().clear()
        self._order = []

    def load(self, rows: Iterable[tuple[tuple[str, str], dict[str, Any]]]) -> None:
        """Store many rows at once; the order is rebuilt by the next `ordered()`."""
        for key, row in rows:
            super().__setitem__(key, row)
            self._order = None

    def ordered(self) -> list[tuple[dt.datetime, str, str]]:
        """(updatedAt, sku, warehouseId) of every row, ascending; bisect it by `(moment,)` for a time window."""
        if self._order is None:
            self._order = sorted(self.sort_key(key, row) for key, row in self.items())
        return self._order


@dataclass
class ShopifyData:
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    fulfillment_orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    fulfillments: dict[int, dict[str, Any]] = field(default_factory=dict)
    fulfillment_events: dict[int, dict[str, Any]] = field(default_factory=dict)
    locations: dict[int, dict[str, Any]] = field(default_factory=dict)
    inventory_items: InventoryItems = field(default_factory=InventoryItems)  # id -> {id, sku, variant_id, ...}
    inventory_levels: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)  # (item, location)
    webhooks: dict[int, dict[str, Any]] = field(default_factory=dict)
    throttle: Throttle = field(default_factory=Throttle)  # call-limit bucket per shop, 429s per shop
    next_order_number: int = 1001


@dataclass
class EshopboxData:
    orders: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (channel, customerOrderNumber)
    shipments: dict[str, dict[str, Any]] = field(default_factory=dict)  # externalShipmentID -> shipment
    inventory: InventoryRows = field(default_factory=InventoryRows)  # (sku, warehouseId) -> row, ordered
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
    orders: dict[str, str] = field(default_factory=dict)  # order id (CMU `order`) -> waybill
    pickups: dict[int, dict[str, Any]] = field(default_factory=dict)  # pickup_id -> pickup request


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
    "sap_s4hana": SapS4hanaData,
    "business_central": BusinessCentralData,
    "sap_business_one": SapBusinessOneData,
    "shiprocket": ShiprocketData,
    "ginesys": GinesysData,
    "marg": MargData,
    "clickpost": ClickPostData,
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
        self.sap_s4hana = SapS4hanaData()
        self.business_central = BusinessCentralData()
        self.sap_business_one = SapBusinessOneData()
        self.shiprocket = ShiprocketData()
        self.ginesys = GinesysData()
        self.marg = MargData()
        self.clickpost = ClickPostData()
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
