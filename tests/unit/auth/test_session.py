"""Session auth against a login server that expires and revokes its sessions."""

from __future__ import annotations

import time
from typing import Any

import pytest

from connectors.runtime.errors import AuthExpiredError
from tests.unit.auth.login_server import PASSWORD, USER, LoginServer
from tests.unit.auth.specs import app_with_auth, client_for, get

CREDENTIALS = {"email": USER, "password": PASSWORD}


def session_auth(**overrides: Any) -> dict[str, Any]:
    return {
        "type": "session",
        "fields": {"email": {"secret": False}, "password": {}},
        "login": {
            "method": "POST",
            "url": "/auth/login",
            "json": {"email": "{{ auth.email }}", "password": "{{ auth.password }}"},
        },
        "token": {"from": "json", "path": "token"},
        "headers": {"Authorization": "Bearer {{ auth.token }}"},
        **overrides,
    }


def test_logs_in_once_and_reuses_the_session(login_server: LoginServer) -> None:
    client = client_for(app_with_auth(session_auth(), login_server.url), CREDENTIALS)
    for _ in range(3):
        assert get(client, "/orders") == {"orders": [{"id": 1}]}
    assert len(login_server.logins) == 1


def test_logs_in_again_when_the_declared_lifetime_from_the_response_ends(login_server: LoginServer) -> None:
    login_server.reported_ttl = 1.0  # the real sessions live longer: a late request cannot race the expiry
    auth = session_auth(expires_in={"from": "json", "path": "expires_in"})
    client = client_for(app_with_auth(auth, login_server.url), CREDENTIALS)
    get(client, "/orders")
    time.sleep(1.1)
    get(client, "/orders")
    assert len(login_server.logins) == 2
    assert login_server.data_calls == 2  # renewed before the call: no 401 round trip


def test_relogs_in_exactly_once_on_401(login_server: LoginServer) -> None:
    client = client_for(app_with_auth(session_auth(), login_server.url), CREDENTIALS)
    get(client, "/orders")
    login_server.revoke_all()  # e.g. the app restarted
    assert get(client, "/orders") == {"orders": [{"id": 1}]}
    assert len(login_server.logins) == 2
    assert login_server.data_calls == 3


def test_expiry_signal_can_require_a_body_text(login_server: LoginServer) -> None:
    auth = session_auth(expiry={"statuses": [401], "body_contains": "something else"})
    client = client_for(app_with_auth(auth, login_server.url), CREDENTIALS)
    get(client, "/orders")
    login_server.revoke_all()
    with pytest.raises(AuthExpiredError):  # not the declared signal: no re-login
        get(client, "/orders")
    assert len(login_server.logins) == 1


def test_gives_up_when_the_new_session_is_refused_too(login_server: LoginServer) -> None:
    login_server.ttl = -1  # every session is born expired
    client = client_for(app_with_auth(session_auth(), login_server.url), CREDENTIALS)
    with pytest.raises(AuthExpiredError, match="reconnect"):
        get(client, "/orders")
    assert len(login_server.logins) == 2


def test_wrong_password_is_a_refused_login(login_server: LoginServer) -> None:
    client = client_for(app_with_auth(session_auth(), login_server.url), {"email": USER, "password": "wrong-pass"})
    with pytest.raises(AuthExpiredError, match="login refused") as caught:
        get(client, "/orders")
    assert caught.value.status == 401
    assert login_server.data_calls == 0


def test_session_cookie_like_sap_business_one(login_server: LoginServer) -> None:
    auth = session_auth(
        token={"from": "cookie", "path": "SESSION"}, headers={}, cookies={"SESSION": "{{ auth.token }}"}
    )
    client = client_for(app_with_auth(auth, login_server.url), CREDENTIALS)
    assert get(client, "/orders") == {"orders": [{"id": 1}]}
    login_server.revoke_all()
    assert get(client, "/orders") == {"orders": [{"id": 1}]}
    assert len(login_server.logins) == 2
