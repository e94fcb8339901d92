"""The entity types the simulator serves, with their properties' OData types (what `$filter` and `$select` check):
Business Central API v2.0's `salesOrder`, `salesOrderLine`, `item`, `salesShipment`, and the NAV pages published as
web services `SalesOrder` (page 42, lines in the `SalesOrderSalesLines` part) and `Item` (page 30, with
`Inventory`). NAV's records are views of the BC-shaped records the store keeps."""

from __future__ import annotations

from typing import Any

from connectors.sandbox.business_central.odata import EntityType
from connectors.sandbox.business_central.store import etag

S, G, T, D, N, B = "Edm.String", "Edm.Guid", "Edm.DateTimeOffset", "Edm.Date", "Edm.Decimal", "Edm.Boolean"
_SHIP_TO = dict.fromkeys(("shipToName", "shipToContact", "shipToAddressLine1", "shipToAddressLine2", "shipToCity",
                          "shipToCountry", "shipToState", "shipToPostCode"), S)  # fmt: skip

SALES_ORDER = EntityType("Microsoft.NAV.salesOrder", {
    "id": G, "number": S, "externalDocumentNumber": S, "orderDate": D, "postingDate": D, "customerId": G,
    "customerNumber": S, "customerName": S, **_SHIP_TO, "currencyCode": S, "pricesIncludeTax": B, "phoneNumber": S,
    "email": S, "requestedDeliveryDate": D, "status": S, "fullyShipped": B, "discountAmount": N,
    "totalAmountExcludingTax": N, "totalTaxAmount": N, "totalAmountIncludingTax": N, "lastModifiedDateTime": T,
}, key="number")  # fmt: skip
SALES_ORDER_LINE = EntityType("Microsoft.NAV.salesOrderLine", {
    "id": G, "documentId": G, "sequence": "Edm.Int32", "itemId": G, "accountId": G, "lineType": S,
    "lineObjectNumber": S, "description": S, "unitOfMeasureCode": S, "quantity": N, "unitPrice": N,
    "discountAmount": N, "discountPercent": N, "amountExcludingTax": N, "taxCode": S, "taxPercent": N,
    "totalTaxAmount": N, "amountIncludingTax": N, "netAmount": N, "shipmentDate": D, "shippedQuantity": N,
    "invoicedQuantity": N,
}, key="sequence")  # fmt: skip
ITEM = EntityType("Microsoft.NAV.item", {
    "id": G, "number": S, "displayName": S, "type": S, "itemCategoryCode": S, "blocked": B, "gtin": S,
    "inventory": N, "unitPrice": N, "priceIncludesTax": B, "unitCost": N, "baseUnitOfMeasureCode": S,
    "lastModifiedDateTime": T,
}, key="number")  # fmt: skip
SALES_SHIPMENT = EntityType("Microsoft.NAV.salesShipment", {
    "id": G, "number": S, "externalDocumentNumber": S, "orderNumber": S, "customerId": G, "customerNumber": S,
    "customerName": S, "shipmentDate": D, "postingDate": D, **_SHIP_TO, "currencyCode": S, "lastModifiedDateTime": T,
}, key="number")  # fmt: skip

NAV_SALES_ORDER = EntityType("NAV.SalesOrder", {
    "Document_Type": S, "No": S, "Sell_to_Customer_No": S, "Sell_to_Customer_Name": S, "External_Document_No": S,
    "Order_Date": D, "Posting_Date": D, "Status": S, "Ship_to_Name": S, "Ship_to_Contact": S, "Ship_to_Address": S,
    "Ship_to_Address_2": S, "Ship_to_City": S, "Ship_to_County": S, "Ship_to_Post_Code": S,
    "Ship_to_Country_Region_Code": S, "Currency_Code": S, "Completely_Shipped": B,
}, key="No")  # fmt: skip
NAV_SALES_LINE = EntityType("NAV.SalesOrderSalesLines", {
    "Document_Type": S, "Document_No": S, "Line_No": "Edm.Int32", "Type": S, "No": S, "Description": S,
    "Quantity": N, "Unit_of_Measure_Code": S, "Unit_Price": N, "Line_Discount_Amount": N, "Line_Amount": N,
    "Quantity_Shipped": N,
}, key="Line_No")  # fmt: skip
NAV_ITEM = EntityType("NAV.Item", {
    "No": S, "Description": S, "Type": S, "Inventory": N, "Unit_Price": N, "Unit_Cost": N,
    "Base_Unit_of_Measure": S, "Blocked": B, "Last_Date_Modified": D,
}, key="No")  # fmt: skip

# NAV page field -> BC API property, for the fields a NAV client may write on a new sales order (and its lines)
NAV_ORDER_WRITES = {
    "Sell_to_Customer_No": "customerNumber", "External_Document_No": "externalDocumentNumber",
    "Order_Date": "orderDate", "Posting_Date": "postingDate", "Ship_to_Name": "shipToName",
    "Ship_to_Contact": "shipToContact", "Ship_to_Address": "shipToAddressLine1",
    "Ship_to_Address_2": "shipToAddressLine2", "Ship_to_City": "shipToCity", "Ship_to_County": "shipToState",
    "Ship_to_Post_Code": "shipToPostCode", "Ship_to_Country_Region_Code": "shipToCountry",
    "Currency_Code": "currencyCode",
}  # fmt: skip
NAV_LINE_WRITES = {"Type": "lineType", "No": "lineObjectNumber", "Description": "description",
                   "Quantity": "quantity", "Unit_Price": "unitPrice", "Line_Discount_Amount": "discountAmount",
                   "Line_No": "sequence"}  # fmt: skip


def nav_line(order: dict[str, Any], line: dict[str, Any]) -> dict[str, Any]:
    return {
        "@odata.etag": etag({**line, "lastModifiedDateTime": order["lastModifiedDateTime"]}),
        "Document_Type": "Order", "Document_No": order["number"], "Line_No": line["sequence"],
        "Type": line["lineType"], "No": line["lineObjectNumber"], "Description": line["description"],
        "Quantity": line["quantity"], "Unit_of_Measure_Code": line["unitOfMeasureCode"],
        "Unit_Price": line["unitPrice"], "Line_Discount_Amount": line["discountAmount"],
        "Line_Amount": line["amountExcludingTax"], "Quantity_Shipped": line["shippedQuantity"],
    }  # fmt: skip


def nav_sales_order(order: dict[str, Any]) -> dict[str, Any]:
    """Page 42 `Sales Order` as OData v4 shows it (the lines only when expanded)."""
    return {
        "@odata.etag": etag(order), "Document_Type": "Order", "No": order["number"],
        "Sell_to_Customer_No": order["customerNumber"], "Sell_to_Customer_Name": order["customerName"],
        "External_Document_No": order["externalDocumentNumber"], "Order_Date": order["orderDate"],
        "Posting_Date": order["postingDate"], "Status": "Released" if order["status"] == "Released" else "Open",
        "Ship_to_Name": order["shipToName"], "Ship_to_Contact": order["shipToContact"],
        "Ship_to_Address": order["shipToAddressLine1"], "Ship_to_Address_2": order["shipToAddressLine2"],
        "Ship_to_City": order["shipToCity"], "Ship_to_County": order["shipToState"],
        "Ship_to_Post_Code": order["shipToPostCode"], "Ship_to_Country_Region_Code": order["shipToCountry"],
        "Currency_Code": order["currencyCode"], "Completely_Shipped": order["fullyShipped"],
    }  # fmt: skip


def nav_item(item: dict[str, Any]) -> dict[str, Any]:
    """Page 30 `Item Card` as OData v4 shows it: `Inventory` is the quantity on hand."""
    return {
        "@odata.etag": etag(item), "No": item["number"], "Description": item["displayName"], "Type": item["type"],
        "Inventory": item["inventory"], "Unit_Price": item["unitPrice"], "Unit_Cost": item["unitCost"],
        "Base_Unit_of_Measure": item["baseUnitOfMeasureCode"], "Blocked": item["blocked"],
        "Last_Date_Modified": item["lastModifiedDateTime"][:10],
    }  # fmt: skip
