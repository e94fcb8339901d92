"""No credential or obtained token appears in logs (DEBUG, every logger) or in error messages."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from connectors.runtime.errors import IntegrationError, PermanentError
from connectors.runtime.http.request import RenderedRequest
from connectors.runtime.redaction import install_log_redaction, redact, register_secret
from tests.servers.oauth2_server import OAuth2TestServer
from tests.unit.auth.login_server import PASSWORD, USER, LoginServer
from tests.unit.auth.resource_server import ResourceServer
from tests.unit.auth.specs import app_with_auth, client_for, get
from tests.unit.auth.test_session import session_auth


def captured(caplog: pytest.LogCaptureFixture) -> str:
    """Everything logged, as formatted and as raw record fields."""
    return caplog.text + "".join(f"{r.msg}{r.args}{r.exc_text}" for r in caplog.records)


def call_and_capture(client: Any, path: str, caplog: pytest.LogCaptureFixture, **params: Any) -> str:
    errors = ""
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("urllib3").setLevel(logging.DEBUG)
        try:
            get(client, path, **params)
        except IntegrationError as exc:
            logging.getLogger("tests").exception("call failed")
            errors = f"{exc}{exc.args}{getattr(exc, 'excerpt', '')}"
    return captured(caplog) + errors


def test_basic_and_digest_passwords_are_not_logged(httpbin_url: str, caplog: pytest.LogCaptureFixture) -> None:
    for auth_type, path in [("basic", "/basic-auth/ann/basic-secret-1"), ("digest", "/digest-auth/auth/ann/x/MD5")]:
        password = f"{auth_type}-secret-1"
        client = client_for(app_with_auth({"type": auth_type}, httpbin_url), {"username": "ann", "password": password})
        text = call_and_capture(client, path, caplog)
        assert "GET" in text and password not in text


def test_api_key_header_echoed_by_the_server_is_masked_in_errors(
    httpbin_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    auth = {"type": "api_key", "fields": {"key": {}}, "headers": {"X-Api-Key": "{{ auth.key }}"}}
    client = client_for(app_with_auth(auth, httpbin_url), {"key": "header-key-77"})
    echoed = client.send(RenderedRequest("GET", f"{httpbin_url}/anything")).text
    assert "header-key-77" in echoed  # httpbin echoes request headers in its body
    error = PermanentError("request refused", method="GET", url=f"{httpbin_url}/anything", status=422, excerpt=echoed)
    assert "header-key-77" not in f"{error}{error.excerpt}" and "***" in error.excerpt
    assert "header-key-77" not in call_and_capture(client, "/status/400", caplog)


def test_api_key_in_query_is_masked_in_urls(httpbin_url: str, caplog: pytest.LogCaptureFixture) -> None:
    auth = {"type": "api_key", "fields": {"key": {}}, "query": {"key": "{{ auth.key }}"}}
    client = client_for(app_with_auth(auth, httpbin_url), {"key": "query-key-88"})
    text = call_and_capture(client, "/status/404", caplog)
    assert "404" in text and "key=***" in text and "query-key-88" not in text


def test_session_password_and_token_are_not_logged(login_server: LoginServer, caplog: pytest.LogCaptureFixture) -> None:
    client = client_for(app_with_auth(session_auth(), login_server.url), {"email": USER, "password": PASSWORD})
    text = call_and_capture(client, "/orders", caplog)
    login_server.revoke_all()
    text += call_and_capture(client, "/orders", caplog)
    assert len(login_server.logins) == 2 and "/auth/login" in text
    for secret in [PASSWORD, *login_server.logins]:
        assert secret not in text


def test_oauth2_secrets_and_tokens_are_not_logged(
    oauth2_server_reset: OAuth2TestServer, resource_server: ResourceServer, caplog: pytest.LogCaptureFixture
) -> None:
    auth = {"type": "oauth2", "grant_type": "refresh_token", "token_url": oauth2_server_reset.token_url}
    credentials = {"client_id": "cid", "client_secret": "oauth-client-secret-5", "refresh_token": "refresh-first-5"}
    client = client_for(app_with_auth(auth, resource_server.url), credentials)
    text = call_and_capture(client, "/orders", caplog)
    resource_server.revoke_everything = True
    text += call_and_capture(client, "/orders", caplog)  # refresh once, then AuthExpiredError
    calls = oauth2_server_reset.token_requests()
    assert len(calls) == 2 and "AuthExpiredError" in text
    obtained = [c[k] for c in calls for k in ("response_access_token", "response_refresh_token")]
    for secret in ["oauth-client-secret-5", "refresh-first-5", *obtained]:
        assert secret not in text


def test_redact_masks_url_encoded_forms_too() -> None:
    register_secret("p@ss word/+")
    assert redact("a=p%40ss%20word%2F%2B b=p%40ss+word%2F%2B c=p@ss word/+") == "a=*** b=*** c=***"


def test_a_record_without_secrets_keeps_its_args_for_formatters_that_read_them() -> None:
    install_log_redaction()
    register_secret("s3cret-value-42")
    access = ('%s - "%s %s HTTP/%s" %d', ("127.0.0.1:5", "GET", "/x", "1.1", 200))
    plain = logging.getLogRecordFactory()("uvicorn.access", logging.INFO, __file__, 1, *access, None)
    client_addr, method, path, version, status = plain.args  # as uvicorn's access formatter unpacks them
    assert (method, status) == ("GET", 200)
    secret = logging.getLogRecordFactory()("x", logging.INFO, __file__, 1, "token %s", ("s3cret-value-42",), None)
    assert secret.getMessage() == "token ***" and secret.args is None
