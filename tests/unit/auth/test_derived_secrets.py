"""Secrets in the forms they travel in never reach errors or logs, even when a server echoes the request:
`base64(user:password)` of basic auth, `base64(client_id:client_secret)` of an OAuth2 token call, the cookies a
login hands out, a secret inside a JSON string."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator

import pytest

from connectors.runtime.errors import IntegrationError, PermanentError, excerpt_of
from connectors.runtime.http.client import AppClient
from connectors.runtime.http.request import RenderedRequest
from tests.unit.auth.echo_server import EchoServer, serve_echo
from tests.unit.auth.specs import app_with_auth, client_for, get


@pytest.fixture
def echo() -> Iterator[EchoServer]:
    with serve_echo() as server:
        yield server


def b64(pair: str) -> str:
    return base64.b64encode(pair.encode()).decode()


def failure(client: AppClient, path: str, caplog: pytest.LogCaptureFixture) -> tuple[IntegrationError, str]:
    """The error a call raises, and everything logged on the way (every logger, DEBUG, the error included)."""
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("urllib3").setLevel(logging.DEBUG)
        with pytest.raises(IntegrationError) as caught:
            get(client, path)
        logging.getLogger("tests").error("step failed: %s", caught.value, exc_info=caught.value)
    logged = caplog.text + "".join(f"{r.msg}{r.args}{r.exc_text}" for r in caplog.records)
    return caught.value, logged


def reported(error: IntegrationError, logged: str) -> str:
    """What a user, the task log and the action log (`Type: message`) can see of a failure."""
    return f"{type(error).__name__}: {error} {error.args} {getattr(error, 'excerpt', '')} {logged}"


def test_basic_auth_echoed_by_the_server_is_masked(echo: EchoServer, caplog: pytest.LogCaptureFixture) -> None:
    password = "basic-derived-pass-1"
    client = client_for(app_with_auth({"type": "basic"}, echo.url), {"username": "ann", "password": password})

    error, logged = failure(client, "/orders", caplog)

    assert isinstance(error, PermanentError) and '"Authorization": "Basic ***"' in error.excerpt  # it was echoed
    text = reported(error, logged)
    assert password not in text and b64(f"ann:{password}") not in text


def test_oauth2_client_secret_basic_echoed_by_the_token_endpoint_is_masked(
    echo: EchoServer, caplog: pytest.LogCaptureFixture
) -> None:
    auth = {
        "type": "oauth2",
        "grant_type": "client_credentials",
        "token_url": f"{echo.url}/token",
        "client_auth": "basic",  # client_secret_basic
    }
    secret = "oauth-derived-secret-2"
    client = client_for(app_with_auth(auth, echo.url), {"client_id": "shop-client", "client_secret": secret})

    error, logged = failure(client, "/orders", caplog)

    assert "token request (client_credentials) refused" in str(error) and "Basic ***" in error.excerpt
    text = reported(error, logged)
    assert secret not in text and b64(f"shop-client:{secret}") not in text


def test_cookies_a_login_hands_out_are_masked(echo: EchoServer, caplog: pytest.LogCaptureFixture) -> None:
    auth = {
        "type": "session",
        "fields": {"user": {"secret": False}, "password": {}},
        "login": {"method": "POST", "url": "/login", "json": {"user": "{{ auth.user }}", "pw": "{{ auth.password }}"}},
        "token": {"from": "json", "path": "token"},
        "headers": {"Authorization": "Bearer {{ auth.token }}"},
    }
    client = client_for(app_with_auth(auth, echo.url), {"user": "ann", "password": "session-derived-pass-3"})
    echo.status = 200
    get(client, "/orders")  # logs in; the session keeps the login's cookies and sends them from now on
    echo.status = 400

    error, logged = failure(client, "/orders", caplog)

    assert "ROUTE=***" in error.excerpt  # the session sent the login's cookie back, and the server echoed it
    text = reported(error, logged)
    for secret in ["session-derived-pass-3", echo.route_cookie, *echo.tokens]:
        assert secret not in text


def test_a_secret_escaped_inside_json_is_masked(echo: EchoServer, caplog: pytest.LogCaptureFixture) -> None:
    auth = {"type": "api_key", "fields": {"key": {}}, "headers": {"X-Api-Key": "{{ auth.key }}"}}
    key = 'key"with\\quotes-4'
    client = client_for(app_with_auth(auth, echo.url), {"key": key})

    error, logged = failure(client, "/orders", caplog)

    assert '"X-Api-Key": "***"' in error.excerpt
    assert 'with\\"' not in reported(error, logged) and "with\\\\quotes" not in reported(error, logged)


def test_the_excerpt_of_an_echo_from_httpbin_is_redacted(httpbin_url: str) -> None:
    password = "httpbin-derived-pass-5"
    client = client_for(app_with_auth({"type": "basic"}, httpbin_url), {"username": "bob", "password": password})

    response = client.send(RenderedRequest("GET", f"{httpbin_url}/headers"))

    assert b64(f"bob:{password}") in response.text  # httpbin echoes the request headers
    assert b64(f"bob:{password}") not in excerpt_of(response) and "Basic ***" in excerpt_of(response)
