"""The company's records and what happens to them: a sales order created with its lines (BC's deep insert), a
shipment posted for what is left to ship (inventory goes down), and the demo data. Records are kept in Business
Central API v2.0's shape; call everything here with the state lock held."""

from __future__ import annotations

import base64
import copy
import uuid
from typing import Any

from connectors.sandbox.business_central.context import odata_error
from connectors.sandbox.business_central.data import BusinessCentralData, Company
from connectors.sandbox.business_central.settings import BusinessCentralConfig
from connectors.sandbox.timestamps import iso_z, now

SHIP_TO = ("shipToName", "shipToContact", "shipToAddressLine1", "shipToAddressLine2", "shipToCity", "shipToCountry",
           "shipToState", "shipToPostCode")  # fmt: skip
ORDER_FIELDS = ("externalDocumentNumber", "orderDate", "postingDate", "customerId", "customerNumber", *SHIP_TO,
                "currencyCode", "pricesIncludeTax", "phoneNumber", "email", "requestedDeliveryDate")  # fmt: skip
LINE_FIELDS = ("lineType", "lineObjectNumber", "itemId", "description", "quantity", "unitPrice", "discountAmount",
               "discountPercent", "shipmentDate", "sequence")  # fmt: skip
LINE_TYPES = ("Comment", "Account", "Item", "Resource", "Fixed Asset", "Charge")
DEMO_CUSTOMERS = {"C-ESHOPBOX": "Eshopbox marketplace sales", "10000": "Adatum Corporation"}
DEMO_ITEMS = {  # number -> (displayName, unitPrice, inventory)
    "ESB-TEE-RED-M": ("T-shirt red M", 499.0, 40.0),
    "ESB-TEE-BLUE-L": ("T-shirt blue L", 549.0, 25.0),
    "ESB-MUG-WHITE": ("Mug white", 299.0, 60.0),
}


def stamp() -> str:
    """BC's `lastModifiedDateTime`: UTC with milliseconds and a Z."""
    return iso_z(now())


def etag(record: dict[str, Any]) -> str:
    """A weak ETag that changes whenever the record does (BC's are opaque too)."""
    version = f"{record['id']}:{record['lastModifiedDateTime']}".encode()
    return f'W/"JzQ0O{base64.b64encode(version).decode()}"'


def with_etag(record: dict[str, Any]) -> dict[str, Any]:
    return {"@odata.etag": etag(record), **copy.deepcopy(record)}


def new_company(company_id: str, name: str, demo: bool = True) -> Company:
    company = Company(id=company_id, name=name)
    if not demo:
        return company
    moment = stamp()
    for number, display in DEMO_CUSTOMERS.items():
        company.customers[number] = {"id": str(uuid.uuid4()), "number": number, "displayName": display,
                                     "lastModifiedDateTime": moment}  # fmt: skip
    for number, (display, price, inventory) in DEMO_ITEMS.items():
        add_item(company, number, display, price, inventory)
    return company


def add_item(company: Company, number: str, display: str, price: float, inventory: float) -> dict[str, Any]:
    item = {
        "id": str(uuid.uuid4()), "number": number, "displayName": display, "type": "Inventory",
        "itemCategoryCode": "", "blocked": False, "gtin": "", "inventory": float(inventory), "unitPrice": float(price),
        "priceIncludesTax": False, "unitCost": round(price * 0.6, 2), "baseUnitOfMeasureCode": "PCS",
        "lastModifiedDateTime": stamp(),
    }  # fmt: skip
    company.items[number] = item
    return item


def seed(config: BusinessCentralConfig, data: BusinessCentralData) -> None:
    """The companies: one in BC online (by id), one on the NAV server (by name), with demo customers and items."""
    demo = config.seed_demo_data
    data.companies[config.company_id] = new_company(config.company_id, config.company_name, demo)
    data.nav_companies[config.nav_company] = new_company(str(uuid.uuid4()), config.nav_company, demo)


def _unknown_property(name: str, type_name: str) -> None:
    raise odata_error(400, f"The property '{name}' does not exist on type '{type_name}'. Make sure to only use "
                      "property names that are defined by the type.")  # fmt: skip


def _record_not_found(table: str, number: str) -> None:
    raise odata_error(400, f"The {table} does not exist. Identification fields and values: No.='{number}'",
                      code="Internal_RecordNotFound")  # fmt: skip


def _customer(company: Company, body: dict[str, Any]) -> dict[str, Any]:
    number, customer_id = body.get("customerNumber"), body.get("customerId")
    if customer_id:
        found = next((c for c in company.customers.values() if c["id"] == customer_id), None)
        if found is None:
            _record_not_found("Customer", str(customer_id))
        return found  # type: ignore[return-value]
    if not number:
        raise odata_error(400, "Sell-to Customer No. must have a value in Sales Header: Document Type=Order, No.=''. "
                          "It cannot be zero or empty.", code="Internal_TestFieldError")  # fmt: skip
    if str(number) not in company.customers:
        _record_not_found("Customer", str(number))
    return company.customers[str(number)]


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise odata_error(400, f"Cannot convert the literal '{value}' to the expected type 'Edm.Decimal'.")
    return float(value)


def _line(company: Company, order: dict[str, Any], body: Any, sequence: int) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise odata_error(400, "A salesOrderLine must be an object.")
    for name in body:
        if name not in LINE_FIELDS:
            _unknown_property(name, "Microsoft.NAV.salesOrderLine")
    line_type = body.get("lineType", "Item")
    if line_type not in LINE_TYPES:
        raise odata_error(400, f"The value '{line_type}' is not valid for lineType.")
    item = None
    if line_type == "Item":
        number = body.get("lineObjectNumber")
        if body.get("itemId"):
            item = next((i for i in company.items.values() if i["id"] == body["itemId"]), None)
            number = item["number"] if item else body["itemId"]
        else:
            item = company.items.get(str(number))
        if item is None:
            _record_not_found("Item", str(number))
    quantity = _number(body.get("quantity", 0))
    price = _number(body.get("unitPrice", item["unitPrice"] if item else 0))
    discount = _number(body.get("discountAmount", 0))
    amount = round(quantity * price - discount, 2)
    return {
        "id": str(uuid.uuid4()), "documentId": order["id"], "sequence": int(body.get("sequence") or sequence),
        "itemId": item["id"] if item else "00000000-0000-0000-0000-000000000000", "accountId": None,
        "lineType": line_type, "lineObjectNumber": item["number"] if item else body.get("lineObjectNumber", ""),
        "description": body.get("description") or (item["displayName"] if item else ""),
        "unitOfMeasureCode": "PCS" if item else "", "quantity": quantity, "unitPrice": price,
        "discountAmount": discount, "discountPercent": float(body.get("discountPercent", 0)),
        "amountExcludingTax": amount, "taxCode": "", "taxPercent": 0.0, "totalTaxAmount": 0.0,
        "amountIncludingTax": amount, "netAmount": amount, "shipmentDate": body.get("shipmentDate",
        order["orderDate"]), "shippedQuantity": 0.0, "invoicedQuantity": 0.0,
    }  # fmt: skip


def create_sales_order(company: Company, body: Any) -> dict[str, Any]:
    """A sales order and its lines from a BC API body (deep insert of `salesOrderLines`)."""
    if not isinstance(body, dict):
        raise odata_error(400, "The request body must be a JSON object.")
    for name in body:
        if name not in (*ORDER_FIELDS, "salesOrderLines"):
            _unknown_property(name, "Microsoft.NAV.salesOrder")
    customer = _customer(company, body)
    today = now().date().isoformat()
    order_id, number = str(uuid.uuid4()), f"S-ORD{company.next_order_number}"
    order: dict[str, Any] = {
        "id": order_id, "number": number, "externalDocumentNumber": str(body.get("externalDocumentNumber") or ""),
        "orderDate": body.get("orderDate") or today, "postingDate": body.get("postingDate") or today,
        "customerId": customer["id"], "customerNumber": customer["number"], "customerName": customer["displayName"],
        **{name: str(body.get(name) or "") for name in SHIP_TO},
        "currencyCode": body.get("currencyCode") or "", "pricesIncludeTax": bool(body.get("pricesIncludeTax")),
        "phoneNumber": str(body.get("phoneNumber") or ""), "email": str(body.get("email") or ""),
        "requestedDeliveryDate": body.get("requestedDeliveryDate") or "0001-01-01", "status": "Draft",
        "fullyShipped": False, "lastModifiedDateTime": stamp(),
    }  # fmt: skip
    lines = body.get("salesOrderLines") or []
    if not isinstance(lines, list):
        raise odata_error(400, "salesOrderLines must be a collection.")
    order["salesOrderLines"] = [_line(company, order, line, 10000 * n) for n, line in enumerate(lines, start=1)]
    _total(order)
    company.next_order_number += 1
    company.sales_orders[order_id] = order
    return order


def _total(order: dict[str, Any]) -> None:
    net = round(sum(line["amountExcludingTax"] for line in order["salesOrderLines"]), 2)
    order.update(totalAmountExcludingTax=net, totalTaxAmount=0.0, totalAmountIncludingTax=net,
                 discountAmount=round(sum(line["discountAmount"] for line in order["salesOrderLines"]), 2))  # fmt: skip


def ship_order(company: Company, order: dict[str, Any], shipment_date: str | None = None) -> dict[str, Any]:
    """Post a shipment of everything left to ship on the order's item lines: a `salesShipment`, the lines' shipped
    quantities and the items' inventory move, the order becomes `fullyShipped`."""
    lines = [line for line in order["salesOrderLines"]
             if line["lineType"] == "Item" and line["quantity"] > line["shippedQuantity"]]  # fmt: skip
    if not lines:
        raise odata_error(400, f"There is nothing to post for sales order {order['number']}.",
                          code="Internal_DialogError")  # fmt: skip
    moment, shipment_id = stamp(), str(uuid.uuid4())
    day = shipment_date or moment[:10]
    shipment: dict[str, Any] = {
        "id": shipment_id, "number": f"S-SHPT{company.next_shipment_number}",
        "externalDocumentNumber": order["externalDocumentNumber"], "orderNumber": order["number"],
        "customerId": order["customerId"], "customerNumber": order["customerNumber"],
        "customerName": order["customerName"], "shipmentDate": day, "postingDate": day,
        **{name: order[name] for name in SHIP_TO}, "currencyCode": order["currencyCode"],
        "lastModifiedDateTime": moment, "salesShipmentLines": [],
    }  # fmt: skip
    for line in lines:
        quantity = line["quantity"] - line["shippedQuantity"]
        line["shippedQuantity"] = line["quantity"]
        item = company.items[line["lineObjectNumber"]]
        item.update(inventory=item["inventory"] - quantity, lastModifiedDateTime=moment)
        shipment["salesShipmentLines"].append({
            "id": str(uuid.uuid4()), "documentId": shipment_id, "documentNo": shipment["number"],
            "sequence": line["sequence"], "lineType": "Item", "lineObjectNumber": line["lineObjectNumber"],
            "description": line["description"], "unitOfMeasureCode": line["unitOfMeasureCode"],
            "unitPrice": line["unitPrice"], "quantity": quantity, "discountPercent": line["discountPercent"],
            "shipmentDate": day,
        })  # fmt: skip
    order.update(fullyShipped=True, status="Released", lastModifiedDateTime=moment)
    company.next_shipment_number += 1
    company.sales_shipments[shipment_id] = shipment
    return shipment
