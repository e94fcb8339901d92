"""Demo data: one sales order of the demo customer with its outbound delivery 80000000, ready for goods issue."""

from __future__ import annotations

from connectors.sandbox.sap_s4hana.store import create_delivery, create_sales_order
from connectors.sandbox.state import SandboxState

DEMO_ORDER = {
    "SalesOrderType": "OR",
    "SalesOrganization": "1710",
    "DistributionChannel": "10",
    "OrganizationDivision": "00",
    "SoldToParty": "17100001",
    "PurchaseOrderByCustomer": "DEMO-PO-1",
    "to_Item": [{"Material": "ESB-TEE-RED-M", "RequestedQuantity": "2"}],
}


def seed_demo_data(state: SandboxState) -> None:
    data = state.sap_s4hana
    order = create_sales_order(data, DEMO_ORDER, "SANDBOX")
    create_delivery(data, order["SalesOrder"])
