"""`auth.pre_request` against a server that guards writes as SAP's OData services do: a GET with
`x-csrf-token: Fetch` (and Basic auth) answers a token bound to the session cookie it sets; a write needs both, and
an expired token is answered 403 with `x-csrf-token: Required`."""

from __future__ import annotations

import base64
import json
import logging
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from connectors.runtime.errors import AuthExpiredError
from connectors.runtime.http.client import AppClient
from connectors.runtime.http.request import RenderedRequest
from connectors.spec import AppDefinitionError
from connectors.spec.loader import load_app_version
from tests.unit.auth.http_server import JsonHandler, serving
from tests.unit.auth.specs import app_with_auth, client_for, get

USER, PASSWORD = "COMM_USER", "s3cret-sap-pass"
CREDENTIALS = {"username": USER, "password": PASSWORD}
BASIC = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


@dataclass
class CsrfServer:
    url: str = ""
    tokens: dict[str, str] = field(default_factory=dict)  # session cookie -> its token
    fetches: int = 0
    orders: list[dict[str, Any]] = field(default_factory=list)

    def expire_tokens(self) -> None:
        self.tokens = dict.fromkeys(self.tokens, "")


def _handler(state: CsrfServer) -> type[BaseHTTPRequestHandler]:
    class Handler(JsonHandler):
        def _session(self) -> str:
            cookies = dict(p.strip().split("=", 1) for p in self.headers.get("Cookie", "").split(";") if "=" in p)
            return cookies.get("SAP_SESSIONID", "")

        def do_GET(self) -> None:
            if self.headers.get("Authorization") != BASIC:
                return self._reply(401, {"error": {"code": "/IWFND/CM_CONSUMER/101", "message": "Unauthorized"}})
            headers = {}
            if self.headers.get("x-csrf-token", "").lower() == "fetch":
                state.fetches += 1
                session = self._session() or secrets.token_hex(8)
                state.tokens[session] = token = secrets.token_urlsafe(16)
                headers = {"x-csrf-token": token, "Set-Cookie": f"SAP_SESSIONID={session}; Path=/; HttpOnly"}
            self._reply(200, {"d": {"results": state.orders}}, headers)

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            if self.headers.get("Authorization") != BASIC:
                return self._reply(401, {"error": {"code": "/IWFND/CM_CONSUMER/101", "message": "Unauthorized"}})
            token = state.tokens.get(self._session())
            if not token or self.headers.get("x-csrf-token") != token:
                return self._reply(403, {"error": {"message": "CSRF token validation failed"}},
                                   {"x-csrf-token": "Required"})  # fmt: skip
            state.orders.append(body)
            self._reply(201, {"d": {**body, "SalesOrder": str(len(state.orders))}})

    return Handler


@pytest.fixture
def csrf_server() -> Iterator[CsrfServer]:
    state = CsrfServer()
    with serving(_handler(state)) as url:
        state.url = url
        yield state


def basic_with_csrf(**pre_request: Any) -> dict[str, Any]:
    return {
        "type": "basic",
        "pre_request": {
            "request": {"method": "GET", "url": "/", "headers": {"x-csrf-token": "Fetch"}},
            "value": {"from": "header", "path": "x-csrf-token"},
            "name": "csrf_token",
            "headers": {"x-csrf-token": "{{ auth.csrf_token }}"},
            "again": {"statuses": [403], "header": "x-csrf-token", "header_value": "Required"},
            **pre_request,
        },
    }


def client(server: CsrfServer, password: str = PASSWORD) -> AppClient:
    return client_for(app_with_auth(basic_with_csrf(), server.url), {"username": USER, "password": password})


def post(client: AppClient, body: dict[str, Any]) -> Any:
    response = client.send(RenderedRequest("POST", client.base_url + "/A_SalesOrder", json=body))
    return response.json()["d"]


def test_the_first_write_fetches_the_token_and_later_writes_reuse_it(csrf_server: CsrfServer) -> None:
    sap = client(csrf_server)
    assert get(sap, "/A_SalesOrder") == {"d": {"results": []}}
    assert csrf_server.fetches == 0  # reads need no token
    assert post(sap, {"PurchaseOrderByCustomer": "1001"})["SalesOrder"] == "1"
    assert post(sap, {"PurchaseOrderByCustomer": "1002"})["SalesOrder"] == "2"
    assert csrf_server.fetches == 1  # the token and its session cookie went with both writes


def test_a_token_the_app_asks_again_for_is_fetched_again_and_the_write_sent_once_more(
    csrf_server: CsrfServer,
) -> None:
    sap = client(csrf_server)
    post(sap, {"PurchaseOrderByCustomer": "1001"})
    csrf_server.expire_tokens()
    assert post(sap, {"PurchaseOrderByCustomer": "1002"})["SalesOrder"] == "2"
    assert csrf_server.fetches == 2
    assert [o["PurchaseOrderByCustomer"] for o in csrf_server.orders] == ["1001", "1002"]  # each written once


def test_a_refused_fetch_fails_the_write_without_sending_it(csrf_server: CsrfServer) -> None:
    with pytest.raises(AuthExpiredError) as caught:
        post(client(csrf_server, password="wrong"), {"PurchaseOrderByCustomer": "1001"})
    assert caught.value.status == 401 and csrf_server.orders == []


def test_the_token_never_reaches_the_logs(csrf_server: CsrfServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="connectors.http")
    sap = client(csrf_server)
    post(sap, {"PurchaseOrderByCustomer": "1001"})
    (token,) = csrf_server.tokens.values()
    assert caplog.records and token not in caplog.text and PASSWORD not in caplog.text


def test_the_headers_may_only_use_the_value_by_its_declared_name(tmp_path: Any) -> None:
    spec = app_with_auth(basic_with_csrf(headers={"x-csrf-token": "{{ auth.csrf }}"}), "http://127.0.0.1:9")
    path = tmp_path / "probe.yaml"
    path.write_text(json.dumps(spec.model_dump(mode="json", by_alias=True, exclude_none=True)))
    with pytest.raises(AppDefinitionError, match=r"auth.pre_request.headers.x-csrf-token: template uses 'auth.csrf'"):
        load_app_version(path)
