"""Calls the Amazon tests share: the demo LWA credentials, the token call and SP-API calls to the sandbox."""

from __future__ import annotations

from typing import Any

import requests

from connectors.runtime.http.client import AppClient, ConnectionValues
from connectors.sandbox.config import AmazonConfig
from connectors.spec import load_app_version
from connectors.spec.catalog import BUILTIN_APPS
from tests.unit.sandbox.fixtures import Sandbox

DEMO = AmazonConfig()
CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN = DEMO.client_id, DEMO.client_secret, DEMO.refresh_token
SELLER_ID, MARKETPLACE_ID = DEMO.seller_id, DEMO.marketplace_id
SPEC = load_app_version(BUILTIN_APPS / "amazon_sp_api" / "1.0.0.yaml")


def token_call(sandbox: Sandbox, **fields: str) -> requests.Response:
    form = {"grant_type": "refresh_token", "refresh_token": REFRESH_TOKEN, "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET, **fields}  # fmt: skip
    return sandbox.http.post(f"{sandbox.url}/amazon/auth/o2/token", data=form, timeout=10)


def token(sandbox: Sandbox) -> str:
    response = token_call(sandbox)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def sp_api(sandbox: Sandbox, method: str, path: str, access_token: str | None, **kwargs: Any) -> requests.Response:
    headers = {"x-amz-access-token": access_token} if access_token else {}
    return sandbox.http.request(method, f"{sandbox.url}/amazon{path}", headers=headers, timeout=10, **kwargs)


def new_order(sandbox: Sandbox, **spec: Any) -> dict[str, Any]:
    return sandbox.control("amazon", "/orders", spec)["order"]


def amazon(
    sandbox: Sandbox, secret: str = CLIENT_SECRET, connection: str = "sandbox-amazon", spec: Any = SPEC
) -> AppClient:
    """amazon_sp_api@1.0.0 through our runtime, pointed at the sandbox."""
    session = requests.Session()
    session.trust_env = False
    values = ConnectionValues(
        connection,
        credentials={"client_id": CLIENT_ID, "client_secret": secret, "refresh_token": REFRESH_TOKEN},
        properties={"seller_id": SELLER_ID, "marketplace_id": MARKETPLACE_ID},
    )
    environment = {"API_BASE_URL": f"{sandbox.url}/amazon", "LWA_TOKEN_URL": f"{sandbox.url}/amazon/auth/o2/token"}
    return AppClient(spec, values, environment=environment, session=session)
