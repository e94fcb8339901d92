"""Values rendered into a request URL are percent-encoded path segments; `| path` takes a path but nothing more.

Checked on the wire: the scripted server records the raw request line."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from connectors.runtime.errors import ConfigurationError
from connectors.runtime.http.client import AppClient, ConnectionValues
from connectors.runtime.http.request import render_request
from connectors.runtime.steps import run_action, run_search
from connectors.runtime.templating import render_url, render_value
from connectors.spec import Catalog
from connectors.spec.base import RequestSpec
from connectors.spec.templates import referenced_names
from tests.unit.runtime.helpers import make_client, make_spec
from tests.unit.runtime.scripted_server import ScriptedServer

FIND_ORDER = {
    "name": "Find order",
    "inputs": {"number": {"required": True}},
    "request": {"url": "/api/order/{{ inputs.number }}"},
}


def find_order(server: ScriptedServer, number: Any) -> str:
    """Run the search against the server; the raw path it received."""
    server.reply(200, {"id": 1})
    run_search(
        make_client(make_spec(searches={"find_order": FIND_ORDER}), server.url), "find_order", {"number": number}
    )
    (received,) = server.requests
    return received.raw_path


def test_an_order_id_cannot_climb_to_another_endpoint(scripted_server: ScriptedServer) -> None:
    raw_path = find_order(scripted_server, "../../api/v1/admin?x=")
    assert raw_path == "/api/order/..%2F..%2Fapi%2Fv1%2Fadmin%3Fx%3D"
    assert scripted_server.requests[0].query == {}


@pytest.mark.parametrize(
    ("number", "sent"),
    [("#1001", "%231001"), ("SO 1/2", "SO%201%2F2"), ("a&b=c", "a%26b%3Dc"), ("ÄÖ", "%C3%84%C3%96"), (1001, "1001")],
)
def test_an_order_id_arrives_whole(scripted_server: ScriptedServer, number: Any, sent: str) -> None:
    assert find_order(scripted_server, number) == f"/api/order/{sent}"


def test_configuration_is_not_encoded_but_data_beside_it_is(scripted_server: ScriptedServer) -> None:
    listing = {
        "name": "Listing",
        "inputs": {"sku": {}},
        "request": {"url": "{{ env.base_url ~ '/api/v2' }}/items/{{ inputs.sku }}/{% if env.base_url %}x{% endif %}"},
    }
    scripted_server.reply(200, [])
    client = make_client(make_spec(searches={"listing": listing}), scripted_server.url)

    run_search(client, "listing", {"sku": "A/B"})

    assert scripted_server.requests[0].raw_path == "/api/v2/items/A%2FB/x"


def test_loop_variables_are_data_too() -> None:
    context = {"inputs": {"parts": ["a/b", "c"]}}
    assert render_url("/{% for p in inputs.parts %}{{ p }}/{% endfor %}", context) == "/a%2Fb/c/"


def http_app(server: ScriptedServer) -> AppClient:
    session = requests.Session()
    session.trust_env = False
    connection = ConnectionValues("api", credentials={"token": "path-test-token"}, properties={"base_url": server.url})
    return AppClient(Catalog.load().get("http@1.0.0"), connection, session=session)


@pytest.mark.parametrize("path", ["/v2/orders/7", "v2/orders/7", "/orders/a%2Fb", "/orders/%231", "/v1/orders:batch"])
def test_the_http_app_takes_a_path(scripted_server: ScriptedServer, path: str) -> None:
    scripted_server.reply(200, {"ok": True})
    run_action(http_app(scripted_server), "put_json", {"path": path, "body": {}})
    assert scripted_server.requests[0].raw_path == "/" + path.lstrip("/")


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("../admin", "'..' segment"),
        ("/orders/../../admin", "'..' segment"),
        ("/orders/%2e%2e/%2E%2E/admin", "'..' segment"),
        ("/orders?status=any", "query or fragment"),
        ("/orders#top", "query or fragment"),
        ("/orders/%5Cevil", "backslash"),
        ("https://evil.example/collect", "absolute URL"),
        ("//evil.example/collect", "names a host"),
        ("/\\evil.example", "backslash"),
    ],
)
def test_the_http_app_refuses_what_leaves_the_path(scripted_server: ScriptedServer, path: str, reason: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        run_action(http_app(scripted_server), "post_json", {"path": path, "body": {}})
    message = str(caught.value)
    assert "template '{{ inputs.path | path }}'" in message and "is not a path" in message and reason in message
    assert scripted_server.requests == []


def test_a_filter_after_path_encodes_again() -> None:
    assert render_url("{{ inputs.p | path | lower }}", {"inputs": {"p": "/A/B"}}) == "%2Fa%2Fb"


def test_url_segment_and_path_are_filters_of_the_language() -> None:
    assert referenced_names("/{{ trigger.id | url_segment }}/{{ inputs.p | path }}") == {
        ("trigger", "id"),
        ("inputs", "p"),
    }
    assert render_url("/x/{{ inputs.id | url_segment }}", {"inputs": {"id": "a/b"}}) == "/x/a%2Fb"  # not twice


def test_the_base_url_is_joined_as_it_is() -> None:
    rendered = render_request(
        RequestSpec(url="/orders/{{ inputs.id }}"), {"inputs": {"id": "7/8"}}, "https://a.test/x/"
    )
    assert rendered.url == "https://a.test/x/orders/7%2F8"


def test_a_workflow_encodes_an_id_it_puts_into_the_http_apps_path(scripted_server: ScriptedServer) -> None:
    path = render_value("/orders/{{ trigger.id | url_segment }}", {"trigger": {"id": "A/1?x#y"}})
    scripted_server.reply(200, {"ok": True})
    run_action(http_app(scripted_server), "put_json", {"path": path, "body": {}})
    assert scripted_server.requests[0].raw_path == "/orders/A%2F1%3Fx%23y"
