"""The method, URL and path a signature over the request covers, as the receiver hands them to verification."""

from __future__ import annotations

from starlette.requests import Request

from connectors.webhooks.receiver import _signed_target
from connectors.webhooks.settings import WebhookSettings


def request(path: str, query: bytes = b"") -> Request:
    return Request({
        "type": "http", "method": "POST", "scheme": "http", "server": ("10.0.0.5", 8080), "root_path": "",
        "path": path, "query_string": query, "headers": [(b"host", b"10.0.0.5:8080")],
    })  # fmt: skip


def test_the_url_is_the_one_the_receiver_sees_without_a_public_url() -> None:
    target = _signed_target(request("/integrations/webhooks/flipkart/shipment_event/acme"), None)
    assert target == {
        "method": "POST",
        "url": "http://10.0.0.5:8080/integrations/webhooks/flipkart/shipment_event/acme",
        "path": "/integrations/webhooks/flipkart/shipment_event/acme",
    }


def test_behind_a_proxy_the_public_url_replaces_scheme_and_host_and_keeps_path_and_query() -> None:
    target = _signed_target(request("/integrations/webhooks/a/b/c", b"x=1"), "https://hooks.example.com/")
    assert target["url"] == "https://hooks.example.com/integrations/webhooks/a/b/c?x=1"
    assert target["path"] == "/integrations/webhooks/a/b/c"


def test_the_public_url_comes_from_the_environment() -> None:
    settings = WebhookSettings.from_env({"INTEGRATIONS_WEBHOOK_PUBLIC_URL": "https://hooks.example.com"})
    assert settings.public_url == "https://hooks.example.com"
    assert WebhookSettings.from_env({}).public_url is None
