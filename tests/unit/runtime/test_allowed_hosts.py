"""Requests stay on the app's base URL host, or on the hosts its version declares: data cannot send credentials
elsewhere, neither as a URL, nor as a next-page link, nor as a redirect."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from pydantic import ValidationError

from connectors.runtime.errors import ConfigurationError, PermanentError
from connectors.runtime.http.client import AppClient, ConnectionValues
from connectors.runtime.http.request import RenderedRequest
from connectors.runtime.polling import poll
from connectors.runtime.steps import run_action
from connectors.spec import Catalog
from connectors.spec.references import check_references
from tests.unit.auth.login_server import PASSWORD, USER, LoginServer
from tests.unit.runtime.helpers import make_client, make_spec
from tests.unit.runtime.scripted_server import ScriptedServer

TOKEN = "bearer-secret-for-allowed-hosts"
API_KEY = {"type": "api_key", "fields": {"key": {}}, "headers": {"X-Api-Key": "{{ auth.key }}"}}


@pytest.fixture
def elsewhere() -> Iterator[ScriptedServer]:
    """Another origin (same address, other port): the host a webhook sender would like the token sent to."""
    with ScriptedServer() as server:
        yield server


def http_app_client(base_url: str) -> AppClient:
    session = requests.Session()
    session.trust_env = False
    return AppClient(
        Catalog.load().get("http@1.0.0"),
        ConnectionValues("api", credentials={"token": TOKEN}, properties={"base_url": base_url}),
        session=session,
    )


def client_with(base_url: str, **spec: Any) -> AppClient:
    return make_client(make_spec(auth=API_KEY, **spec), base_url, credentials={"key": TOKEN})


def test_the_http_app_does_not_send_its_token_to_a_host_taken_from_the_payload(
    scripted_server: ScriptedServer, elsewhere: ScriptedServer
) -> None:
    client = http_app_client(scripted_server.url)

    with pytest.raises(ConfigurationError) as caught:
        run_action(client, "post_json", {"path": f"{elsewhere.url}/collect", "body": {"id": 1}})

    assert not caught.value.retryable
    assert elsewhere.requests == [] and scripted_server.requests == []


def test_a_request_to_another_host_is_refused_naming_the_host_and_the_app(
    scripted_server: ScriptedServer, elsewhere: ScriptedServer
) -> None:
    client = client_with(scripted_server.url)

    with pytest.raises(ConfigurationError) as caught:
        client.send(RenderedRequest("POST", f"{elsewhere.url}/collect", json={"id": 1}))

    message = str(caught.value)
    assert "probe@1.0.0" in message and f"host '127.0.0.1' (http://127.0.0.1:{elsewhere.port})" in message
    assert f"http://127.0.0.1:{scripted_server.port}" in message  # what is allowed
    assert TOKEN not in message
    assert elsewhere.requests == []


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/x", "orders", "http://"])
def test_what_is_not_an_http_url_is_refused_before_sending(scripted_server: ScriptedServer, url: str) -> None:
    with pytest.raises(ConfigurationError, match="probe@1.0.0: refused to send a request to .*not an http"):
        client_with(scripted_server.url).send(RenderedRequest("GET", url))
    assert scripted_server.requests == []


def test_hosts_the_app_version_declares_are_allowed(scripted_server: ScriptedServer, elsewhere: ScriptedServer) -> None:
    spec = make_spec(
        auth=API_KEY,
        allowed_hosts=["{{ env.listing_url }}"],
        environment={"base_url": {"required": True}, "listing_url": {}},
    )
    session = requests.Session()
    session.trust_env = False
    client = AppClient(
        spec,
        ConnectionValues("c1", credentials={"key": TOKEN}),
        environment={"base_url": scripted_server.url, "listing_url": f"{elsewhere.url}/api/v2"},
        session=session,
    )
    elsewhere.reply(200, {"items": []})

    assert client.send(RenderedRequest("GET", f"{elsewhere.url}/api/v2/productListing")).json() == {"items": []}
    assert elsewhere.requests[0].headers["X-Api-Key"] == TOKEN


def test_a_redirect_to_another_host_is_not_followed(scripted_server: ScriptedServer, elsewhere: ScriptedServer) -> None:
    scripted_server.reply(302, headers={"Location": f"{elsewhere.url}/collect"})
    client = client_with(scripted_server.url)

    with pytest.raises(PermanentError) as caught:
        client.send(RenderedRequest("GET", f"{scripted_server.url}/orders"))

    assert caught.value.status == 302 and not caught.value.retryable
    assert f"redirect to host '127.0.0.1' (http://127.0.0.1:{elsewhere.port})" in str(caught.value)
    assert elsewhere.requests == []  # requests would have carried X-Api-Key along


def test_a_redirect_within_the_host_is_followed(scripted_server: ScriptedServer) -> None:
    scripted_server.reply(301, headers={"Location": "/v2/orders"}, path="/orders")
    scripted_server.reply(200, {"orders": []}, path="/v2/orders")

    response = client_with(scripted_server.url).send(RenderedRequest("GET", f"{scripted_server.url}/orders"))

    assert response.json() == {"orders": []}
    assert scripted_server.paths == ["/orders", "/v2/orders"]


def test_a_next_page_link_to_another_host_is_refused(
    scripted_server: ScriptedServer, elsewhere: ScriptedServer
) -> None:
    trigger = {
        "type": "polling",
        "name": "Orders",
        "request": {"url": "/orders"},
        "records": "orders",
        "id_field": "id",
        "pagination": {"type": "link_header"},
    }
    client = client_with(scripted_server.url, triggers={"orders": trigger})
    scripted_server.reply(200, {"orders": [{"id": 1}]}, {"Link": f'<{elsewhere.url}/orders?page=2>; rel="next"'})
    start = dt.datetime(2024, 10, 1, tzinfo=dt.UTC)

    with pytest.raises(ConfigurationError, match=f"host '127.0.0.1' \\(http://127.0.0.1:{elsewhere.port}\\)"):
        list(poll(client, "orders", start, start + dt.timedelta(hours=1)))
    assert elsewhere.requests == []


def test_auth_calls_go_to_the_hosts_the_auth_block_names(
    scripted_server: ScriptedServer, login_server: LoginServer
) -> None:
    auth = {
        "type": "session",
        "fields": {"email": {"secret": False}, "password": {}},
        "login": {
            "method": "POST",
            "url": f"{login_server.url}/auth/login",  # another host than the base URL
            "json": {"email": "{{ auth.email }}", "password": "{{ auth.password }}"},
        },
        "token": {"from": "json", "path": "token"},
        "headers": {"Authorization": "Bearer {{ auth.token }}"},
    }
    client = make_client(make_spec(auth=auth), scripted_server.url, credentials={"email": USER, "password": PASSWORD})
    scripted_server.reply(200, {"orders": []})

    client.send(RenderedRequest("GET", f"{scripted_server.url}/orders"))

    assert scripted_server.requests[0].headers["Authorization"] == f"Bearer {login_server.logins[0]}"


def test_allowed_hosts_may_only_use_properties_and_env() -> None:
    spec = make_spec(allowed_hosts=["https://{{ inputs.host }}", "{{ env.nope }}"])
    problems = [(path, message) for path, message in check_references(spec) if path[0] == "allowed_hosts"]
    assert [path for path, _ in problems] == [("allowed_hosts", 0), ("allowed_hosts", 1)]
    assert "'inputs', which is not available here" in problems[0][1]
    assert "'env.nope', which is not declared" in problems[1][1]


@pytest.mark.parametrize("entry", ["api.example.com", "ftp://files.example.com", "https://"])
def test_a_literal_allowed_host_must_be_an_http_url(entry: str) -> None:
    with pytest.raises(ValidationError, match="is not an http\\(s\\) URL such as https://api.example.com"):
        make_spec(allowed_hosts=[entry])


def test_an_allowed_host_that_renders_to_no_url_is_named(scripted_server: ScriptedServer) -> None:
    spec = make_spec(allowed_hosts=["{{ env.base_url }}", "{{ env.other }}"], environment={"base_url": {}, "other": {}})
    with pytest.raises(ConfigurationError, match=r"allowed_hosts\[1\] of probe@1.0.0 renders 'listing.example'"):
        AppClient(
            spec, ConnectionValues("c"), environment={"base_url": scripted_server.url, "other": "listing.example"}
        )
