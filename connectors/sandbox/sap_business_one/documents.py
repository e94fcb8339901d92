"""Marketing documents and items as the Service Layer shows them: sales orders (`Orders`, object 17), deliveries
(`DeliveryNotes`, object 15, copied from order lines through BaseType/BaseEntry/BaseLine), items with their stock per
warehouse, and the business logic that refuses a document (call everything here with the state lock held).

Dates are answered as `YYYY-MM-DD` and times as `HH:MM:SS` (the v1 flavour's Edm.DateTime / Edm.Time), in the
company's clock, UTC here (assumption). Taxes, price lists, series and user-defined fields are not modelled.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from connectors.sandbox.sap_business_one.errors import invalid_query, not_found, refused
from connectors.sandbox.sap_business_one.settings import SapBusinessOneConfig
from connectors.sandbox.state import SandboxState
from connectors.sandbox.timestamps import now

ORDER, DELIVERY = 17, 15
OPEN, CLOSED = "bost_Open", "bost_Close"
HEADER = frozenset({
    "DocEntry", "DocNum", "DocType", "DocDate", "DocDueDate", "TaxDate", "CardCode", "CardName", "NumAtCard",
    "DocTotal", "DocCurrency", "Comments", "DocumentStatus", "Cancelled", "CreationDate", "UpdateDate", "UpdateTime",
    "Address2", "DocumentLines",
})  # fmt: skip
WRITABLE = frozenset({"DocDate", "DocDueDate", "TaxDate", "CardCode", "NumAtCard", "DocCurrency", "Comments",
                      "Address2", "DocumentLines"})  # fmt: skip
LINE = frozenset({"ItemCode", "Quantity", "UnitPrice", "Price", "WarehouseCode", "DiscountPercent", "BaseType",
                  "BaseEntry", "BaseLine", "ItemDescription"})  # fmt: skip
ITEM = frozenset({"ItemCode", "ItemName", "InventoryItem", "SalesItem", "QuantityOnStock", "DefaultWarehouse",
                  "UpdateDate", "UpdateTime", "ItemWarehouseInfoCollection"})  # fmt: skip
DEMO_ITEMS = {"ESB-TEE-RED-M": "Tee - Red, M", "ESB-TEE-BLUE-L": "Tee - Blue, L", "ESB-MUG-WHITE": "White mug"}
DEMO_PARTNERS = {"C-SHOPIFY": "Shopify web customers", "C-ESHOPBOX": "Eshopbox marketplace customers"}


def stamp(moment: dt.datetime | None = None) -> dict[str, str]:
    moment = (moment or now()).astimezone(dt.UTC)
    return {"UpdateDate": moment.strftime("%Y-%m-%d"), "UpdateTime": moment.strftime("%H:%M:%S")}


def _number(value: Any, what: str) -> Decimal:
    if isinstance(value, bool):
        raise invalid_query(f"Invalid value for property '{what}'")
    try:
        return Decimal(str(value))
    except ArithmeticError:
        raise invalid_query(f"Invalid value for property '{what}'") from None


def _unknown_properties(body: Mapping[str, Any], allowed: frozenset[str], entity_type: str) -> None:
    for name in body:
        if name not in allowed:
            raise invalid_query(f"Property '{name}' of '{entity_type}' is invalid")


def seed_demo_data(state: SandboxState, config: SapBusinessOneConfig) -> None:
    data = state.sap_business_one
    for code, name in DEMO_PARTNERS.items():
        data.business_partners[code] = {"CardCode": code, "CardName": name, "CardType": "cCustomer"}
    for code, name in DEMO_ITEMS.items():
        put_item(state, code, {config.warehouse: 10, "02": 0}, name=name, default_warehouse=config.warehouse)


def put_item(
    state: SandboxState, code: str, stock: Mapping[str, float], name: str | None = None, default_warehouse: str = "01"
) -> dict[str, Any]:
    """Create an item or set its stock per warehouse (control API and demo data)."""
    items = state.sap_business_one.items
    item = items.get(code) or {
        "ItemCode": code, "ItemName": name or code, "InventoryItem": "tYES", "SalesItem": "tYES",
        "DefaultWarehouse": default_warehouse, "ItemWarehouseInfoCollection": [],
    }  # fmt: skip
    rows = {row["WarehouseCode"]: row for row in item["ItemWarehouseInfoCollection"]}
    for warehouse, quantity in stock.items():
        row = rows.setdefault(warehouse, {"ItemCode": code, "WarehouseCode": warehouse, "InStock": 0.0,
                                          "Committed": 0.0, "Ordered": 0.0})  # fmt: skip
        row["InStock"] = float(quantity)
    item["ItemWarehouseInfoCollection"] = [rows[w] for w in sorted(rows)]
    items[code] = item
    _restock(item)
    return item


def _restock(item: dict[str, Any], moment: dt.datetime | None = None) -> None:
    item["QuantityOnStock"] = sum(row["InStock"] for row in item["ItemWarehouseInfoCollection"])
    item.update(stamp(moment))


def _warehouse_row(item: dict[str, Any], warehouse: str, line: int) -> dict[str, Any]:
    for row in item["ItemWarehouseInfoCollection"]:
        if row["WarehouseCode"] == warehouse:
            return row
    raise refused(f"Invalid warehouse code '{warehouse}' [DocumentLines.WarehouseCode][line: {line}]")


def _next_entry(state: SandboxState, object_type: int) -> int:
    counters = state.sap_business_one.next_entry
    counters[str(object_type)] = counters.get(str(object_type), 0) + 1
    return counters[str(object_type)]


def _header(state: SandboxState, body: Mapping[str, Any], object_type: int, moment: dt.datetime) -> dict[str, Any]:
    _unknown_properties(body, WRITABLE, "Document")
    partner = state.sap_business_one.business_partners.get(str(body.get("CardCode") or ""))
    if partner is None:
        raise refused(f"Invalid BP code '{body.get('CardCode') or ''}' [Document.CardCode]")
    lines = body.get("DocumentLines")
    if not isinstance(lines, list) or not lines or not all(isinstance(line, dict) for line in lines):
        raise refused("Cannot add a document without rows [Document.DocumentLines]")
    today = moment.strftime("%Y-%m-%d")
    entry = _next_entry(state, object_type)
    return {
        "DocEntry": entry, "DocNum": entry, "DocType": "dDocument_Items", "DocDate": str(body.get("DocDate") or today),
        "DocDueDate": str(body.get("DocDueDate") or ""), "TaxDate": str(body.get("TaxDate") or today),
        "CardCode": partner["CardCode"], "CardName": partner["CardName"], "NumAtCard": body.get("NumAtCard"),
        "DocCurrency": body.get("DocCurrency") or "INR", "Comments": body.get("Comments"),
        "Address2": body.get("Address2"), "DocumentStatus": OPEN, "Cancelled": "tNO", "CreationDate": today,
        **stamp(moment), "DocTotal": 0.0, "DocumentLines": [],
    }  # fmt: skip


def _line(state: SandboxState, number: int, raw: Mapping[str, Any], base: dict[str, Any] | None) -> dict[str, Any]:
    """A document line from its body, filled from the base order line when it has one."""
    _unknown_properties(raw, LINE, "DocumentLine")
    source = {**(base or {}), **{k: v for k, v in raw.items() if k not in ("BaseType", "BaseEntry", "BaseLine")}}
    code = str(source.get("ItemCode") or "")
    item = state.sap_business_one.items.get(code)
    if item is None:
        raise refused(f"Invalid item code '{code}' [DocumentLines.ItemCode][line: {number + 1}]")
    quantity = _number(raw.get("Quantity", (base or {}).get("RemainingOpenQuantity")), "Quantity")
    if quantity <= 0:
        raise refused(f"Quantity must be greater than zero [DocumentLines.Quantity][line: {number + 1}]")
    warehouse = str(source.get("WarehouseCode") or item["DefaultWarehouse"])
    _warehouse_row(item, warehouse, number + 1)
    price = _number(source.get("UnitPrice", source.get("Price", 0)), "UnitPrice")
    discount = _number(source.get("DiscountPercent", 0), "DiscountPercent")
    total = (quantity * price * (100 - discount) / 100).quantize(Decimal("0.01"))
    return {
        "LineNum": number, "ItemCode": code, "ItemDescription": source.get("ItemDescription") or item["ItemName"],
        "Quantity": float(quantity), "UnitPrice": float(price), "Price": float(price),
        "DiscountPercent": float(discount), "WarehouseCode": warehouse, "LineTotal": float(total),
        "LineStatus": OPEN, "RemainingOpenQuantity": float(quantity), "BaseType": -1, "BaseEntry": None,
        "BaseLine": None,
    }  # fmt: skip


def create_order(state: SandboxState, body: Any, moment: dt.datetime | None = None) -> dict[str, Any]:
    """`POST /Orders`: an open sales order; its quantities are committed in their warehouses."""
    moment = moment or now()
    if not isinstance(body, dict):
        raise invalid_query("The request body must be a JSON object")
    order = _header(state, body, ORDER, moment)
    if not order["DocDueDate"]:
        raise refused("Enter a delivery date [Document.DocDueDate]")
    order["DocumentLines"] = [_line(state, n, raw, None) for n, raw in enumerate(body["DocumentLines"])]
    for line in order["DocumentLines"]:
        row = _warehouse_row(state.sap_business_one.items[line["ItemCode"]], line["WarehouseCode"], 0)
        row["Committed"] += line["Quantity"]
    order["DocTotal"] = float(sum(Decimal(str(line["LineTotal"])) for line in order["DocumentLines"]))
    state.sap_business_one.orders[order["DocEntry"]] = order
    return order


def _base_line(state: SandboxState, number: int, raw: Mapping[str, Any], card_code: str) -> dict[str, Any] | None:
    if raw.get("BaseType") in (None, -1):
        return None
    if raw.get("BaseType") != ORDER:
        raise refused(f"Invalid base document type [DocumentLines.BaseType][line: {number + 1}]")
    order = state.sap_business_one.orders.get(raw.get("BaseEntry"))  # type: ignore[arg-type]
    if order is None:
        raise refused(f"Base document not found [DocumentLines.BaseEntry][line: {number + 1}]")
    if order["CardCode"] != card_code:
        raise refused("Base document card and target document card do not match")
    lines = {line["LineNum"]: line for line in order["DocumentLines"]}
    base = lines.get(raw.get("BaseLine"))  # type: ignore[arg-type]
    if base is None or base["LineStatus"] != OPEN or order["DocumentStatus"] != OPEN:
        raise refused(f"Target document line is closed or does not exist [DocumentLines.BaseLine][line: {number + 1}]")
    return base


def create_delivery(state: SandboxState, body: Any, moment: dt.datetime | None = None) -> dict[str, Any]:
    """`POST /DeliveryNotes`: lines copied from open order lines (BaseType 17) or given; stock leaves the warehouse,
    the base lines' open quantity drops and an order with nothing left open closes."""
    moment = moment or now()
    if not isinstance(body, dict):
        raise invalid_query("The request body must be a JSON object")
    delivery = _header(state, body, DELIVERY, moment)
    card = delivery["CardCode"]
    pairs = [(n, raw, _base_line(state, n, raw, card)) for n, raw in enumerate(body["DocumentLines"])]
    lines = [_line(state, n, raw, base) for n, raw, base in pairs]
    for (number, raw, base), line in zip(pairs, lines, strict=True):
        row = _warehouse_row(state.sap_business_one.items[line["ItemCode"]], line["WarehouseCode"], number + 1)
        if line["Quantity"] > row["InStock"]:
            raise refused(f"Quantity falls into negative inventory [DocumentLines.ItemCode][line: {number + 1}]")
        if base is not None and line["Quantity"] > base["RemainingOpenQuantity"]:
            raise refused(f"Quantity exceeds the open quantity of the base line [line: {number + 1}]")
        line.update({"BaseType": ORDER, "BaseEntry": raw["BaseEntry"], "BaseLine": raw["BaseLine"]})
    for (_, raw, base), line in zip(pairs, lines, strict=True):  # every line checked: now apply them
        item = state.sap_business_one.items[line["ItemCode"]]
        row = _warehouse_row(item, line["WarehouseCode"], 0)
        row["InStock"] -= line["Quantity"]
        line["LineStatus"], line["RemainingOpenQuantity"] = CLOSED, 0.0
        if base is not None:
            row["Committed"] -= line["Quantity"]
            base["RemainingOpenQuantity"] -= line["Quantity"]
            if base["RemainingOpenQuantity"] <= 0:
                base["LineStatus"] = CLOSED
            order = state.sap_business_one.orders[raw["BaseEntry"]]
            order.update(stamp(moment))
            if all(ol["LineStatus"] == CLOSED for ol in order["DocumentLines"]):
                order["DocumentStatus"] = CLOSED
        _restock(item, moment)
    delivery["DocumentLines"] = lines
    delivery["DocumentStatus"] = CLOSED  # nothing is based on a delivery here (returns, invoices: not modelled)
    delivery["DocTotal"] = float(sum(Decimal(str(line["LineTotal"])) for line in lines))
    state.sap_business_one.delivery_notes[delivery["DocEntry"]] = delivery
    return delivery


def close_order(state: SandboxState, entry: int, cancel: bool, moment: dt.datetime | None = None) -> None:
    """`POST /Orders(n)/Close` or `/Cancel`: the open quantities are no longer committed."""
    order = state.sap_business_one.orders.get(entry)
    if order is None:
        raise not_found()
    if order["DocumentStatus"] == CLOSED:
        raise refused("Document is already closed")
    for line in order["DocumentLines"]:
        if line["LineStatus"] == OPEN:
            item = state.sap_business_one.items[line["ItemCode"]]
            _warehouse_row(item, line["WarehouseCode"], 0)["Committed"] -= line["RemainingOpenQuantity"]
            line["LineStatus"] = CLOSED
    order["DocumentStatus"] = CLOSED
    if cancel:
        order["Cancelled"] = "tYES"
    order.update(stamp(moment))


def lookup(records: Mapping[Any, dict[str, Any]], key: Any, select: str | None, properties: frozenset[str],
           entity_type: str) -> dict[str, Any]:  # fmt: skip
    """One entity by key, with `$select` applied; 404 -2028 when there is none."""
    record = records.get(key)
    if record is None:
        raise not_found()
    names = [name.strip() for name in (select or "").split(",") if name.strip()]
    for name in names:
        if name not in properties:
            raise invalid_query(f"Property '{name}' of '{entity_type}' is invalid")
    return copy.deepcopy({name: record.get(name) for name in names} if names else record)
