"""Calls the SAP Business One tests share: the demo login, Service Layer requests and the app's client."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests

from connectors.runtime.auth.token_store import MemoryTokenStore
from connectors.runtime.http.client import AppClient, ConnectionValues
from connectors.sandbox.sap_business_one.settings import SapBusinessOneConfig
from connectors.spec import load_app_version
from connectors.spec.catalog import BUILTIN_APPS
from tests.unit.sandbox.fixtures import Sandbox

DEMO = SapBusinessOneConfig()
LOGIN = {"CompanyDB": DEMO.company_db, "UserName": DEMO.username, "Password": DEMO.password}
CREDENTIALS = {"company_db": DEMO.company_db, "username": DEMO.username, "password": DEMO.password}


def service_root(sandbox: Sandbox) -> str:
    return f"{sandbox.url}/sap_business_one/b1s/v1"


def logged_in(sandbox: Sandbox) -> requests.Session:
    """A session whose cookie jar holds B1SESSION and ROUTEID from a successful login."""
    session = requests.Session()
    session.trust_env = False
    response = session.post(f"{service_root(sandbox)}/Login", json=LOGIN, timeout=10)
    assert response.status_code == 200, response.text
    return session


def control(sandbox: Sandbox, path: str, body: Any = None, method: str = "POST") -> Any:
    return sandbox.control("sap_business_one", path, body, method)


def state(sandbox: Sandbox) -> dict[str, Any]:
    return control(sandbox, "/state", method="GET")


def new_order(sandbox: Sandbox, **spec: Any) -> dict[str, Any]:
    return control(sandbox, "/orders", spec)["order"]


def sap_b1(
    sandbox: Sandbox, store: MemoryTokenStore | None = None, definition: Path | None = None, **credentials: str
) -> AppClient:
    """The app's client for the demo company, its sessions kept in `store` (a new one by default)."""
    session = requests.Session()
    session.trust_env = False
    spec = load_app_version(definition or BUILTIN_APPS / "sap_business_one" / "1.0.0.yaml")
    connection = ConnectionValues(
        "sandbox-sap-b1",
        credentials={**CREDENTIALS, **credentials},
        properties={"service_layer_url": service_root(sandbox)},
    )
    return AppClient(spec, connection, token_store=store or MemoryTokenStore(), session=session)


def error_of(response: requests.Response) -> tuple[int, str]:
    """(code, message) of a Service Layer error body."""
    error = response.json()["error"]
    return error["code"], error["message"]["value"]
