"""Basic, digest and API-key auth against httpbin, a real server nobody here wrote."""

from __future__ import annotations

import logging

import pytest

from connectors.runtime.errors import AuthExpiredError, ConfigurationError
from tests.unit.auth.specs import app_with_auth, client_for, get


def test_basic_auth_is_accepted_by_httpbin(httpbin_url: str) -> None:
    client = client_for(app_with_auth({"type": "basic"}, httpbin_url), {"username": "ann", "password": "pa55word"})
    assert get(client, "/basic-auth/ann/pa55word") == {"authenticated": True, "user": "ann"}


def test_basic_auth_with_wrong_password_asks_for_reconnect(httpbin_url: str) -> None:
    client = client_for(app_with_auth({"type": "basic"}, httpbin_url), {"username": "ann", "password": "wrong-one"})
    with pytest.raises(AuthExpiredError) as caught:
        get(client, "/basic-auth/ann/pa55word")
    assert caught.value.status == 401


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256"])
def test_digest_auth_is_accepted_by_httpbin(httpbin_url: str, algorithm: str) -> None:
    client = client_for(app_with_auth({"type": "digest"}, httpbin_url), {"username": "ann", "password": "pa55word"})
    assert get(client, f"/digest-auth/auth/ann/pa55word/{algorithm}") == {"authenticated": True, "user": "ann"}


def test_digest_auth_with_wrong_password_is_refused(httpbin_url: str) -> None:
    client = client_for(app_with_auth({"type": "digest"}, httpbin_url), {"username": "ann", "password": "nope-nope"})
    with pytest.raises(AuthExpiredError):
        get(client, "/digest-auth/auth/ann/pa55word/SHA-256")


def test_api_key_as_bearer_header_is_accepted_by_httpbin(httpbin_url: str) -> None:
    auth = {"type": "api_key", "fields": {"token": {}}, "headers": {"Authorization": "Bearer {{ auth.token }}"}}
    client = client_for(app_with_auth(auth, httpbin_url), {"token": "tok-123456"})
    assert get(client, "/bearer") == {"authenticated": True, "token": "tok-123456"}


def test_api_key_template_renders_token_scheme_header(httpbin_url: str) -> None:
    auth = {"type": "api_key", "fields": {"api_token": {}}, "headers": {"Authorization": "Token {{ auth.api_token }}"}}
    client = client_for(app_with_auth(auth, httpbin_url), {"api_token": "dlv-abcdef"})
    assert get(client, "/headers")["headers"]["Authorization"] == "Token dlv-abcdef"


def test_api_key_in_query_sends_every_parameter_and_logs_none(
    httpbin_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    auth = {
        "type": "api_key",
        "fields": {"username": {"secret": False}, "key": {}},
        "query": {"username": "{{ auth.username }}", "key": "{{ auth.key }}"},
    }
    client = client_for(app_with_auth(auth, httpbin_url), {"username": "clickpost-user", "key": "cp-key-998877"})
    with caplog.at_level(logging.DEBUG):
        args = get(client, "/get", waybill="AWB1")["args"]
    assert args == {"waybill": "AWB1", "username": "clickpost-user", "key": "cp-key-998877"}
    assert "cp-key-998877" not in caplog.text
    assert "key=***" in caplog.text


def test_missing_credential_is_a_configuration_error_before_any_request(httpbin_url: str) -> None:
    with pytest.raises(ConfigurationError, match="lacks credential.*password"):
        client_for(app_with_auth({"type": "basic"}, httpbin_url), {"username": "ann"})
