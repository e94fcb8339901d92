"""Browntape's closing stock per SKU and warehouse, and the orders `orders/add.json` takes.

From Browntape's API pages on the Ginesys wiki (BTKB): `GET /0.11/skus/inventory_lookup.json?username&auth_string
&skucode` answering `{status_code, success, result_count, data: [{SkusClosingStock, Warehouse}]}` with every value
as text; `POST /0.1/orders/add.json` with `{data: [order]}`, at most 10 orders a call, mandatory `order_reference`,
`channel_id`, `created`, `customer`, `shipping_address` and `amount`. Assumptions: the order's `items`
(`[{custom_code, quantity, price}]`), the answer to an add (`{success, data: [{order_reference, id}], messages}`),
an order reference already on the channel answered as a `warning` with the existing id (as the manifest call does
for a manifested order), an unknown SKU looked up answering no rows, and each added order moving its quantities to
`closing_pending_stock` of the channel's default warehouse.

`GET /0.1/skus/index.json` (documented: `modified_from`, `modified_to`, `page_size` default and maximum 1000, the
`{success, result_count, results_per_page, page, data: [{Sku, Product}]}` answer with `SkusWarehouse` rows) takes
`page` (assumption, as the answer names it); `modified` is UTC (assumption: the documented example's `created` and
`modified` of one new SKU are 5:30 apart, IST and UTC), compared with both ends inclusive and to the second.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from connectors.sandbox.ginesys.data import GinesysData
from connectors.sandbox.vendor_api import VendorError

ORDER_FIELDS = ("order_reference", "channel_id", "created", "customer", "shipping_address", "amount", "items")


def browntape_error(status: int, message: str) -> VendorError:
    """Browntape's refusal (assumption: `{"success": false, "status_code", "message"}`)."""
    return VendorError(status, {"success": False, "status_code": status, "message": message})


BT_TIME = "%Y-%m-%d %H:%M:%S"


def bt_time(moment: dt.datetime | None = None) -> str:
    """Browntape's `modified`: UTC, to the second."""
    return (moment or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).strftime(BT_TIME)


def set_stock(
    data: GinesysData, company_id: str, sku: str, warehouse_id: str, closing: int, at: dt.datetime | None = None
) -> dict[str, Any]:
    row = data.stock.get((sku, warehouse_id))
    if row is None:
        data.next_id += 1
        row = data.stock[(sku, warehouse_id)] = {
            "id": str(data.next_id), "sku_id": str(16_409_000 + len({s for s, _ in data.stock})),
            "warehouse_id": warehouse_id, "company_id": company_id, "is_low_stock": "0", "closing_stock": "0",
            "closing_pending_stock": "0", "created": bt_time(), "modified": bt_time(), "closing_bad_stock": "0",
            "closing_damaged_stock": "0", "custom_code": sku,
        }  # fmt: skip
    row.update(closing_stock=str(closing), modified=bt_time(at))
    return dict(row)


def _sku_entry(data: GinesysData, sku: str) -> dict[str, Any]:
    rows = [row for (code, _), row in sorted(data.stock.items()) if code == sku]
    stock = sum(int(row["closing_stock"]) for row in rows)
    pending = sum(int(row["closing_pending_stock"]) for row in rows)
    return {
        "Sku": {
            "id": rows[0]["sku_id"], "readable_name": sku, "custom_code": sku, "company_id": rows[0]["company_id"],
            "_in_stock_quantity": str(stock), "awaiting_dispatch_quantity": str(pending), "is_disabled": "0",
            "is_bundle": "0", "created": min(row["created"] for row in rows),
            "modified": max(row["modified"] for row in rows),
            "SkusWarehouse": [{"warehouse_id": row["warehouse_id"], "stock": row["closing_stock"],
                               "stock_pending_dispatch": int(row["closing_pending_stock"])} for row in rows],
            "stock": str(stock), "stock_pending_dispatch": pending,
        },
        "Product": {"id": None, "title": None, "company_id": None, "product_category_id": None},
    }  # fmt: skip


def sku_index(data: GinesysData, since: str, until: str, page: int, page_size: int) -> dict[str, Any]:
    """One page of the SKUs modified in [since, until] (either end may be blank), oldest change first."""
    entries = [_sku_entry(data, sku) for sku in sorted({code for code, _ in data.stock})]
    chosen = sorted(
        (
            e
            for e in entries
            if (not since or e["Sku"]["modified"] >= since) and (not until or e["Sku"]["modified"] <= until)
        ),
        key=lambda e: (e["Sku"]["modified"], e["Sku"]["custom_code"]),
    )
    rows = chosen[(page - 1) * page_size : page * page_size]
    return {"success": "true", "result_count": len(chosen), "results_per_page": page_size, "page": page, "data": rows}


def lookup(data: GinesysData, sku: str) -> dict[str, Any]:
    rows = [
        {"SkusClosingStock": dict(row), "Warehouse": dict(data.warehouses[warehouse])}
        for (code, warehouse), row in sorted(data.stock.items())
        if code == sku
    ]
    return {"status_code": 200, "success": True, "result_count": len(rows), "data": rows}


def _default_warehouse(data: GinesysData) -> str:
    return next((w for w, row in data.warehouses.items() if row["is_default"] == "1"), next(iter(data.warehouses)))


def _check(order: Any) -> str | None:
    if not isinstance(order, dict):
        return "each order must be an object"
    missing = [name for name in ORDER_FIELDS if order.get(name) in (None, "", [], {})]
    if missing:
        return f"mandatory field(s) missing: {', '.join(missing)}"
    items = order["items"]
    if not isinstance(items, list) or not all(isinstance(i, dict) and i.get("custom_code") for i in items):
        return "items must be a list of objects with a custom_code"
    return None


def add_orders(data: GinesysData, body: Any, max_orders: int) -> dict[str, Any]:
    orders = body.get("data") if isinstance(body, dict) else None
    if not isinstance(orders, list) or not orders:
        raise browntape_error(400, "data: a list of orders is required")
    if len(orders) > max_orders:
        raise browntape_error(400, f"Maximum of {max_orders} orders can be created in a single API call")
    problems = [(i, problem) for i, order in enumerate(orders) if (problem := _check(order))]
    if problems:
        raise browntape_error(400, "; ".join(f"order {i + 1}: {problem}" for i, problem in problems))
    created, messages = [], []
    for order in orders:
        key = (str(order["channel_id"]), str(order["order_reference"]))
        if key in data.references:
            messages.append({"order_reference": key[1], "Order_id": data.references[key], "status": "warning",
                             "message": "Order already exists"})  # fmt: skip
            continue
        data.next_id += 1
        order_id = data.references[key] = str(data.next_id)
        data.orders[order_id] = {**order, "id": order_id}
        warehouse = _default_warehouse(data)
        for item in order["items"]:
            row = data.stock.get((str(item["custom_code"]), warehouse))
            if row is not None:
                pending = int(row["closing_pending_stock"]) + int(item.get("quantity", 1))
                row.update(closing_pending_stock=str(pending), modified=bt_time())
        created.append({"order_reference": key[1], "id": order_id})
    return {"success": True, "data": created, "messages": messages}
