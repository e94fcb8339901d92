"""Calls the Flipkart tests share: the demo credentials, the token call and bearer calls to the sandbox."""

from __future__ import annotations

from typing import Any

import requests

from connectors.runtime.http.client import AppClient, ConnectionValues
from connectors.spec import load_app_version
from connectors.spec.catalog import BUILTIN_APPS
from tests.unit.sandbox.fixtures import Sandbox

APP_ID, APP_SECRET = "sandbox-flipkart-app-id", "sandbox-flipkart-app-secret"
LOCATION = "LOC-SANDBOX-1"
SPEC = load_app_version(BUILTIN_APPS / "flipkart" / "1.0.0.yaml")


def token_call(
    sandbox: Sandbox, auth: tuple[str, str] | None = (APP_ID, APP_SECRET), **params: str
) -> requests.Response:
    query = {"grant_type": "client_credentials", "scope": "Seller_Api", **params}
    url = f"{sandbox.url}/flipkart/oauth-service/oauth/token"
    return sandbox.http.get(url, params=query, auth=auth, timeout=10)


def token(sandbox: Sandbox) -> str:
    response = token_call(sandbox)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def seller(sandbox: Sandbox, method: str, path: str, bearer: str | None, **kwargs: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    return sandbox.http.request(method, f"{sandbox.url}/flipkart/sellers{path}", headers=headers, timeout=10, **kwargs)


def new_shipment(sandbox: Sandbox, **spec: Any) -> dict[str, Any]:
    return sandbox.control("flipkart", "/shipments", spec)["shipment"]


def flipkart(sandbox: Sandbox, secret: str = APP_SECRET, connection: str = "sandbox-flipkart") -> AppClient:
    """flipkart@1.0.0 through our runtime, pointed at the sandbox."""
    session = requests.Session()
    session.trust_env = False
    values = ConnectionValues(
        connection, credentials={"client_id": APP_ID, "client_secret": secret}, properties={"location_id": LOCATION}
    )
    return AppClient(SPEC, values, environment={"API_HOST": f"{sandbox.url}/flipkart"}, session=session)
