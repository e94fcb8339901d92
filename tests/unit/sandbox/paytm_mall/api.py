"""What the Paytm Mall tests share: the demo credentials, the two login calls and paytm_mall@1.0.0 through our
runtime, pointed at the sandbox."""

from __future__ import annotations

from typing import Any

import requests

from connectors.runtime.http.client import AppClient, ConnectionValues
from connectors.spec import load_app_version
from connectors.spec.catalog import BUILTIN_APPS
from tests.unit.sandbox.fixtures import Sandbox

USERNAME, PASSWORD = "seller@sandbox.paytm.invalid", "sandbox-paytm-password"
CLIENT_ID, CLIENT_SECRET, MID = "sandbox-paytm-client", "sandbox-paytm-client-secret", "123456"
SPEC = load_app_version(BUILTIN_APPS / "paytm_mall" / "1.0.0.yaml")


def login(sandbox: Sandbox, password: str = PASSWORD) -> requests.Response:
    form = {"username": USERNAME, "password": password, "client_id": CLIENT_ID, "notredirect": "true",
            "response_type": "code"}  # fmt: skip
    return sandbox.http.post(f"{sandbox.url}/paytm_mall/persona/oauth2/authorize", data=form, timeout=10)


def exchange(sandbox: Sandbox, code: str, secret: str = CLIENT_SECRET) -> requests.Response:
    form = {"grant_type": "authorization_code", "code": code, "client_id": CLIENT_ID, "client_secret": secret}
    return sandbox.http.post(f"{sandbox.url}/paytm_mall/persona/oauth2/token", data=form, timeout=10)


def new_order(sandbox: Sandbox, **spec: Any) -> dict[str, Any]:
    return sandbox.control("paytm_mall", "/orders", spec)["order"]


def paytm_mall(
    sandbox: Sandbox, password: str = PASSWORD, secret: str = CLIENT_SECRET, connection: str = "sandbox-paytm"
) -> AppClient:
    session = requests.Session()
    session.trust_env = False
    credentials = {"username": USERNAME, "password": password, "client_id": CLIENT_ID, "client_secret": secret}
    values = ConnectionValues(connection, credentials=credentials, properties={"mid": MID})
    base = f"{sandbox.url}/paytm_mall"
    environment = {"PERSONA_HOST": f"{base}/persona", "FULFILLMENT_HOST": f"{base}/fulfillment",
                   "CATALOG_HOST": f"{base}/catalogadmin"}  # fmt: skip
    return AppClient(SPEC, values, environment=environment, session=session)
