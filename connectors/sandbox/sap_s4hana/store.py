"""Sales orders and outbound deliveries: the deep insert of a sales order with its items, deliveries made from a sales
order (by the control API: S/4HANA creates them in its own shipping run), and posting a delivery's goods issue.

Message texts and codes of refused writes are assumptions in SAP's style (each vendor message has its own T100 id)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.sandbox.sap_s4hana.data import SapS4hanaData
from connectors.sandbox.sap_s4hana.entities import DELIVERY, DELIVERY_SRV, SALES_ORDER_SRV
from connectors.sandbox.sap_s4hana.errors import sap_error
from connectors.sandbox.timestamps import now
from connectors.sandbox.vendor_api import VendorError

HEADER_FIELDS = ("SalesOrderType", "SalesOrganization", "DistributionChannel", "OrganizationDivision", "SoldToParty")
SALES_AREAS = {("1710", "10", "00")}
ORDER_TYPES = {"OR", "TA"}
CUSTOMERS = {"17100001", "17100002"}
MATERIALS = {"ESB-TEE-RED-M": "Eshopbox tee, red, M", "ESB-MUG-WHITE": "Eshopbox mug, white", "TG11": "Trading good"}
PRICE = Decimal("499.00")


def _today(moment: dt.datetime) -> dt.datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _order_error(message: str, code: str = "V1/394") -> VendorError:
    return sap_error(400, code, message, SALES_ORDER_SRV)


def _items(body: dict[str, Any]) -> list[dict[str, Any]]:
    items = body.get("to_Item", [])
    if isinstance(items, dict):  # {"results": [...]} as well as a bare list
        items = items.get("results", [])
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise _order_error("Deep insert: to_Item must be a list of items", "/IWBEP/CM_MGW_RT/021")
    return items


def _quantity(raw: Any) -> Decimal:
    try:
        quantity = Decimal(str(raw))
    except InvalidOperation:
        raise _order_error(f"Failed to read property 'RequestedQuantity': '{raw}' is not a decimal") from None
    if quantity <= 0:
        raise _order_error("Enter an order quantity greater than zero", "V1/080")
    return quantity


def create_sales_order(data: SapS4hanaData, body: Any, user: str) -> dict[str, Any]:
    """A_SalesOrder with its to_Item, as a deep insert creates it; refuses what S/4HANA would."""
    if not isinstance(body, dict):
        raise _order_error("The request body is not a sales order", "/IWBEP/CM_MGW_RT/021")
    missing = [name for name in HEADER_FIELDS if not body.get(name)]
    if missing:
        raise _order_error(f"Property '{missing[0]}' is mandatory")
    if body["SalesOrderType"] not in ORDER_TYPES:
        raise _order_error(f"Sales document type {body['SalesOrderType']} is not defined", "V1/001")
    area = (body["SalesOrganization"], body["DistributionChannel"], body["OrganizationDivision"])
    if area not in SALES_AREAS:
        raise _order_error(f"No sales area {'/'.join(area)} is defined", "V1/316")
    if body["SoldToParty"] not in CUSTOMERS:
        raise _order_error(f"Sold-to party {body['SoldToParty']} not maintained for sales area {'/'.join(area)}",
                           "V1/301")  # fmt: skip
    items = _items(body)
    if not items:
        raise _order_error("Enter at least one item", "V1/555")
    moment = now()
    number = str(data.next_sales_order)
    data.next_sales_order += 1
    lines = []
    for index, item in enumerate(items, start=1):
        material = str(item.get("Material", ""))
        if material not in MATERIALS:
            raise _order_error(f"Material {material} is not defined for sales org.{area[0]}, distr.chan.{area[1]}, "
                               "language EN", "V1/320")  # fmt: skip
        quantity = _quantity(item.get("RequestedQuantity"))
        lines.append({
            "SalesOrder": number,
            "SalesOrderItem": str(index * 10),
            "SalesOrderItemCategory": "TAN",
            "SalesOrderItemText": MATERIALS[material],
            "Material": material,
            "RequestedQuantity": quantity,
            "RequestedQuantityUnit": item.get("RequestedQuantityUnit") or "PC",
            "NetAmount": quantity * PRICE,
            "TransactionCurrency": "INR",
            "SDProcessStatus": "A",
            "DeliveryStatus": "A",
        })  # fmt: skip
    order = {
        "SalesOrder": number,
        **{name: body[name] for name in HEADER_FIELDS},
        "CreationDate": _today(moment),
        "CreatedByUser": user,
        "LastChangeDate": _today(moment),
        "LastChangeDateTime": moment,
        "PurchaseOrderByCustomer": str(body.get("PurchaseOrderByCustomer") or ""),
        "CustomerPurchaseOrderDate": None,
        "SalesOrderDate": _today(moment),
        "TotalNetAmount": sum((line["NetAmount"] for line in lines), Decimal("0.00")),
        "TransactionCurrency": "INR",
        "OverallSDProcessStatus": "A",
        "OverallDeliveryStatus": "A",
        "RequestedDeliveryDate": _today(moment),
        "to_Item": lines,
    }
    data.sales_orders[number] = order
    return order


def touch(order: dict[str, Any], moment: dt.datetime | None = None) -> None:
    """A change of a sales order: its LastChangeDateTime (and etag) move."""
    moment = moment or now()
    order["LastChangeDateTime"], order["LastChangeDate"] = moment, _today(moment)


def create_delivery(data: SapS4hanaData, sales_order: str) -> dict[str, Any]:
    """The outbound delivery of every item of a sales order (its shipping run), picked and ready for goods issue."""
    order = data.sales_orders.get(sales_order)
    if order is None:
        raise sap_error(400, "VL/302", f"Sales document {sales_order} does not exist", DELIVERY_SRV)
    moment = now()
    number = str(data.next_delivery)
    data.next_delivery += 1
    items = [
        {
            "DeliveryDocument": number,
            "DeliveryDocumentItem": str(index * 10).rjust(6, "0"),
            "Material": line["Material"],
            "ActualDeliveryQuantity": line["RequestedQuantity"],
            "DeliveryQuantityUnit": line["RequestedQuantityUnit"],
            "ReferenceSDDocument": sales_order,
            "ReferenceSDDocumentItem": line["SalesOrderItem"].rjust(6, "0"),
            "GoodsMovementStatus": "A",
            "Plant": "1710",
        }
        for index, line in enumerate(order["to_Item"], start=1)
    ]
    delivery = {
        "DeliveryDocument": number,
        "DeliveryDocumentType": "LF",
        "ShippingPoint": "1710",
        "SoldToParty": order["SoldToParty"],
        "ShipToParty": order["SoldToParty"],
        "CreationDate": _today(moment),
        "LastChangeDate": _today(moment),
        "DeliveryDate": _today(moment),
        "PlannedGoodsIssueDate": _today(moment),
        "ActualGoodsMovementDate": None,
        "ActualGoodsMovementTime": None,
        "OverallPickingStatus": "C",
        "OverallGoodsMovementStatus": "A",
        "OverallSDProcessStatus": "A",
        "SalesOrganization": order["SalesOrganization"],
        "to_DeliveryDocumentItem": items,
        "_changed_at": moment,
    }
    data.deliveries[number] = delivery
    for line in order["to_Item"]:
        line["DeliveryStatus"] = "C"
    order["OverallDeliveryStatus"] = "C"
    touch(order, moment)
    return delivery


def post_goods_issue(data: SapS4hanaData, raw_number: str | None, if_match: str | None) -> dict[str, Any]:
    """`PostGoodsIssue?DeliveryDocument='<number>'`: needs the delivery's current etag in If-Match (or `*`)."""
    if raw_number is None or len(raw_number) < 2 or not (raw_number[0] == raw_number[-1] == "'"):
        raise sap_error(400, "/IWBEP/CM_MGW_RT/022", "Invalid function import parameter 'DeliveryDocument'",
                        DELIVERY_SRV)  # fmt: skip
    number = raw_number[1:-1].replace("''", "'")
    delivery = data.deliveries.get(number)
    if delivery is None:
        raise sap_error(400, "VL/302", f"Delivery {number} does not exist", DELIVERY_SRV)
    if not if_match:
        raise sap_error(428, "/IWBEP/CM_MGW_RT/143", "Precondition required", DELIVERY_SRV)
    if if_match != "*" and if_match != DELIVERY.etag(delivery):  # type: ignore[misc]
        raise sap_error(412, "/IWBEP/CM_MGW_RT/142", "Precondition failed", DELIVERY_SRV)
    if delivery["OverallGoodsMovementStatus"] == "C":
        raise sap_error(400, "VL/253", f"Goods issue for delivery {number} has already been posted", DELIVERY_SRV)
    moment = now()
    delivery.update({
        "OverallGoodsMovementStatus": "C",
        "OverallSDProcessStatus": "C",
        "ActualGoodsMovementDate": _today(moment),
        "ActualGoodsMovementTime": moment.time(),
        "LastChangeDate": _today(moment),
        "_changed_at": moment,
    })  # fmt: skip
    for item in delivery["to_DeliveryDocumentItem"]:
        item["GoodsMovementStatus"] = "C"
    data.goods_issues.append(number)
    return delivery
