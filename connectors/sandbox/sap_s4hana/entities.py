"""The entity types the simulator serves, and how a stored record is written out as OData v2 JSON: `__metadata`
(id, uri, type, etag), `Edm.DateTime` as `/Date(<ms>)/`, `Edm.DateTimeOffset` as `/Date(<ms>+0000)/`, `Edm.Decimal`
as text, and navigation properties `__deferred` unless `$expand`ed (then `{"results": [...]}`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import quote

SALES_ORDER_SRV = "API_SALES_ORDER_SRV"
DELIVERY_SRV = "API_OUTBOUND_DELIVERY_SRV"
SALES_ORDER_ROOT = f"/sap/opu/odata/sap/{SALES_ORDER_SRV}"
DELIVERY_ROOT = f"/sap/opu/odata/sap/{DELIVERY_SRV};v=0002"

# Edm kinds: Edm.String, Edm.DateTime, Edm.DateTimeOffset, Edm.Decimal, Edm.Boolean, Edm.Time
STRING, DATETIME, DATETIMEOFFSET = "string", "datetime", "datetimeoffset"
DECIMAL, BOOLEAN, TIME = "decimal", "bool", "time"


@dataclass(frozen=True)
class EntityType:
    service: str
    name: str  # A_SalesOrderType
    entity_set: str  # A_SalesOrder
    key: str
    properties: dict[str, str]
    navigation: dict[str, EntityType] = field(default_factory=dict)  # to_Item -> item type
    etag: Callable[[dict[str, Any]], str] | None = None


def edm_datetime(moment: dt.datetime | None, offset: bool = False) -> str | None:
    if moment is None:
        return None
    millis = int(moment.astimezone(dt.UTC).timestamp() * 1000)
    return f"/Date({millis}+0000)/" if offset else f"/Date({millis})/"


def _value(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == DATETIME:
        return edm_datetime(value)
    if kind == DATETIMEOFFSET:
        return edm_datetime(value, offset=True)
    if kind == DECIMAL:
        return str(Decimal(str(value)))
    if kind == TIME:
        return f"PT{value.hour:02d}H{value.minute:02d}M{value.second:02d}S"
    return value


def key_predicate(entity: EntityType, record: dict[str, Any]) -> str:
    return f"{entity.entity_set}('{quote(str(record[entity.key]), safe='')}')"


def to_json(record: dict[str, Any], entity: EntityType, service_url: str, expand: set[str]) -> dict[str, Any]:
    """The record as the service answers it; `service_url` is the absolute URL of the service root."""
    uri = f"{service_url}/{key_predicate(entity, record)}"
    metadata: dict[str, Any] = {"id": uri, "uri": uri, "type": f"{entity.service}.{entity.name}"}
    if entity.etag is not None:
        metadata["etag"] = entity.etag(record)
    answer: dict[str, Any] = {"__metadata": metadata}
    answer.update({name: _value(kind, record.get(name)) for name, kind in entity.properties.items()})
    for name, target in entity.navigation.items():
        if name in expand:
            answer[name] = {"results": [to_json(item, target, service_url, set()) for item in record.get(name, [])]}
        else:
            answer[name] = {"__deferred": {"uri": f"{uri}/{name}"}}
    return answer


def _datetimeoffset_etag(field_name: str) -> Callable[[dict[str, Any]], str]:
    def etag(record: dict[str, Any]) -> str:
        moment: dt.datetime = record[field_name]
        text = moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"
        return f"W/\"datetimeoffset'{quote(text, safe='.-')}'\""

    return etag


SALES_ORDER_ITEM = EntityType(
    SALES_ORDER_SRV,
    "A_SalesOrderItemType",
    "A_SalesOrderItem",
    "SalesOrderItem",
    {
        "SalesOrder": STRING,
        "SalesOrderItem": STRING,
        "SalesOrderItemCategory": STRING,
        "SalesOrderItemText": STRING,
        "Material": STRING,
        "RequestedQuantity": DECIMAL,
        "RequestedQuantityUnit": STRING,
        "NetAmount": DECIMAL,
        "TransactionCurrency": STRING,
        "SDProcessStatus": STRING,
        "DeliveryStatus": STRING,
    },
)
SALES_ORDER = EntityType(
    SALES_ORDER_SRV,
    "A_SalesOrderType",
    "A_SalesOrder",
    "SalesOrder",
    {
        "SalesOrder": STRING,
        "SalesOrderType": STRING,
        "SalesOrganization": STRING,
        "DistributionChannel": STRING,
        "OrganizationDivision": STRING,
        "SoldToParty": STRING,
        "CreationDate": DATETIME,
        "CreatedByUser": STRING,
        "LastChangeDate": DATETIME,
        "LastChangeDateTime": DATETIMEOFFSET,
        "PurchaseOrderByCustomer": STRING,
        "CustomerPurchaseOrderDate": DATETIME,
        "SalesOrderDate": DATETIME,
        "TotalNetAmount": DECIMAL,
        "TransactionCurrency": STRING,
        "OverallSDProcessStatus": STRING,
        "OverallDeliveryStatus": STRING,
        "RequestedDeliveryDate": DATETIME,
    },
    {"to_Item": SALES_ORDER_ITEM},
    _datetimeoffset_etag("LastChangeDateTime"),
)
DELIVERY_ITEM = EntityType(
    DELIVERY_SRV,
    "A_OutbDeliveryItemType",
    "A_OutbDeliveryItem",
    "DeliveryDocumentItem",
    {
        "DeliveryDocument": STRING,
        "DeliveryDocumentItem": STRING,
        "Material": STRING,
        "ActualDeliveryQuantity": DECIMAL,
        "DeliveryQuantityUnit": STRING,
        "ReferenceSDDocument": STRING,
        "ReferenceSDDocumentItem": STRING,
        "GoodsMovementStatus": STRING,
        "Plant": STRING,
    },
)
DELIVERY = EntityType(
    DELIVERY_SRV,
    "A_OutbDeliveryHeaderType",
    "A_OutbDeliveryHeader",
    "DeliveryDocument",
    {
        "DeliveryDocument": STRING,
        "DeliveryDocumentType": STRING,
        "ShippingPoint": STRING,
        "SoldToParty": STRING,
        "ShipToParty": STRING,
        "CreationDate": DATETIME,
        "LastChangeDate": DATETIME,
        "DeliveryDate": DATETIME,
        "PlannedGoodsIssueDate": DATETIME,
        "ActualGoodsMovementDate": DATETIME,
        "ActualGoodsMovementTime": TIME,
        "OverallPickingStatus": STRING,
        "OverallGoodsMovementStatus": STRING,
        "OverallSDProcessStatus": STRING,
        "SalesOrganization": STRING,
    },
    {"to_DeliveryDocumentItem": DELIVERY_ITEM},
    _datetimeoffset_etag("_changed_at"),  # assumption: the etag moves with every change of the delivery
)
