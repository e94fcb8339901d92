"""What the Business Central and NAV tests share: the demo credentials, raw calls to the sandbox, and the two app
definitions through our runtime, pointed at it."""

from __future__ import annotations

from typing import Any

import requests

from connectors.runtime.http.client import AppClient, ConnectionValues
from connectors.sandbox.business_central.settings import BusinessCentralConfig
from connectors.spec import load_app_version
from connectors.spec.catalog import BUILTIN_APPS
from tests.unit.sandbox.fixtures import Sandbox

DEMO = BusinessCentralConfig()
TENANT, COMPANY_ID, COMPANY = DEMO.tenant_id, DEMO.company_id, DEMO.nav_company
SCOPE = "https://api.businesscentral.dynamics.com/.default"
BC_SPEC = load_app_version(BUILTIN_APPS / "business_central" / "1.0.0.yaml")
NAV_SPEC = load_app_version(BUILTIN_APPS / "dynamics_nav" / "1.0.0.yaml")


def token_call(sandbox: Sandbox, tenant: str = TENANT, **fields: str) -> requests.Response:
    form = {"grant_type": "client_credentials", "client_id": DEMO.client_id, "client_secret": DEMO.client_secret,
            "scope": SCOPE, **fields}  # fmt: skip
    url = f"{sandbox.url}/business_central/login/{tenant}/oauth2/v2.0/token"
    return sandbox.http.post(url, data=form, timeout=10)


def token(sandbox: Sandbox) -> str:
    response = token_call(sandbox)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def bc_api(
    sandbox: Sandbox, path: str, access_token: str | None, headers: dict[str, str] | None = None, **kwargs: Any
) -> requests.Response:
    """A GET of the demo company's API v2.0 (`path` after `companies(<id>)`)."""
    headers = {**(headers or {}), **({"Authorization": f"Bearer {access_token}"} if access_token else {})}
    url = f"{sandbox.url}/business_central/v2.0/{TENANT}/Production/api/v2.0/companies({COMPANY_ID}){path}"
    return sandbox.http.get(url, headers=headers, timeout=10, **kwargs)


def nav_url(sandbox: Sandbox, page: str = "Item") -> str:
    return f"{sandbox.url}/business_central/nav/{DEMO.nav_instance}/ODataV4/Company('CRONUS%20India%20Ltd.')/{page}"


def enter_order(sandbox: Sandbox, number: str, at: str | None = None, nav: bool = False, **body: Any) -> Any:
    """A sales order entered in the ERP by a user, last modified `at`."""
    lines = [{"lineType": "Item", "lineObjectNumber": "ESB-TEE-RED-M", "quantity": 1}]
    spec = {"externalDocumentNumber": number, "customerNumber": "10000", "salesOrderLines": lines, **body}
    if at:
        spec["lastModifiedDateTime"] = at
    where = f"/nav/companies/{COMPANY}" if nav else f"/companies/{COMPANY_ID}"
    return sandbox.control("business_central", f"{where}/salesOrders", spec)


def state(sandbox: Sandbox) -> Any:
    return sandbox.control("business_central", "/state", method="GET")


def _session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    return session


def business_central(sandbox: Sandbox, secret: str = DEMO.client_secret, connection: str = "bc", spec: Any = BC_SPEC,
                     tenant: str = TENANT) -> AppClient:  # fmt: skip
    """business_central@1.0.0 through our runtime, pointed at the sandbox."""
    values = ConnectionValues(
        connection,
        credentials={"client_id": DEMO.client_id, "client_secret": secret},
        properties={"tenant_id": tenant, "environment": "Production", "company_id": COMPANY_ID},
    )
    environment = {"API_BASE_URL": f"{sandbox.url}/business_central",
                   "LOGIN_BASE_URL": f"{sandbox.url}/business_central/login"}  # fmt: skip
    return AppClient(spec, values, environment=environment, session=_session())


def dynamics_nav(server_url: str, password: str = DEMO.nav_password, connection: str = "nav") -> AppClient:
    """dynamics_nav@1.0.0 through our runtime; `server_url` stands for https://nav.example.com:7048."""
    values = ConnectionValues(
        connection,
        credentials={"username": DEMO.nav_username, "password": password},
        properties={"instance": DEMO.nav_instance, "company": COMPANY},
    )
    return AppClient(NAV_SPEC, values, environment={"NAV_SERVER_URL": server_url}, session=_session())
