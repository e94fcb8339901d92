"""What the SAP S/4HANA tests share: the demo communication user, the service URLs, raw calls and an app client."""

from __future__ import annotations

from typing import Any

import requests

from connectors.runtime.http.client import AppClient, ConnectionValues
from connectors.sandbox.sap_s4hana.settings import SapS4hanaConfig
from connectors.spec import load_app_version
from connectors.spec.catalog import BUILTIN_APPS
from tests.unit.sandbox.fixtures import Sandbox

DEMO = SapS4hanaConfig()
AUTH = (DEMO.username, DEMO.password)
SESSION_COOKIE = f"SAP_SESSIONID_{DEMO.system_id}_{DEMO.client}"
ORDER = {
    "SalesOrderType": "OR",
    "SalesOrganization": "1710",
    "DistributionChannel": "10",
    "OrganizationDivision": "00",
    "SoldToParty": "17100001",
    "PurchaseOrderByCustomer": "WEB-1001",
    "to_Item": {"results": [{"Material": "ESB-MUG-WHITE", "RequestedQuantity": "2"}]},
}
JSON = {"Accept": "application/json"}


def odata(sandbox: Sandbox, service: str = "API_SALES_ORDER_SRV") -> str:
    return f"{sandbox.url}/sap_s4hana/sap/opu/odata/sap/{service}"


def deliveries(sandbox: Sandbox) -> str:
    return odata(sandbox, "API_OUTBOUND_DELIVERY_SRV;v=0002")


def fetch_token(sandbox: Sandbox, http: requests.Session | None = None) -> str:
    """A CSRF token, its session cookies kept by `http` (the sandbox's own session by default)."""
    response = (http or sandbox.http).get(odata(sandbox) + "/", headers={"x-csrf-token": "Fetch"}, auth=AUTH)
    assert response.status_code == 200, response.text
    return response.headers["x-csrf-token"]


def new_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    return session


def sap_state(sandbox: Sandbox) -> Any:
    return sandbox.control("sap_s4hana", "/state", method="GET")


CREDENTIALS = {
    "1.0.0": {"username": DEMO.username, "password": DEMO.password},
    "1.1.0": {"client_id": DEMO.oauth_client_id, "client_secret": DEMO.oauth_client_secret},
}


def sap_client(sandbox: Sandbox, version: str = "1.0.0", **credentials: str) -> AppClient:
    """sap_s4hana@1.0.0 (Basic) or @1.1.0 (OAuth 2.0 client credentials), pointed at the sandbox."""
    spec = load_app_version(BUILTIN_APPS / "sap_s4hana" / f"{version}.yaml")
    connection = ConnectionValues(
        f"sandbox-sap-s4hana-{version}",
        credentials={**CREDENTIALS[version], **credentials},
        properties={"host_url": "https://s4h.example.com"},
    )
    return AppClient(spec, connection, {"BASE_URL": f"{sandbox.url}/sap_s4hana"}, session=new_session())
