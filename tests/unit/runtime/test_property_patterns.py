"""Typed fields declare a `pattern` the whole value must match; a property that builds the base URL (Shopify
`shop`, Eshopbox `workspace`) cannot end the host and send the token elsewhere."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import ValidationError

from connectors.runtime.errors import ConfigurationError
from connectors.runtime.http.client import AppClient, ConnectionValues
from connectors.runtime.steps import run_search
from connectors.runtime.values import resolve_values
from connectors.spec import Catalog
from connectors.spec.app_version import PropertySpec
from connectors.spec.base import TypedFieldSpec
from tests.unit.runtime.helpers import make_client, make_spec
from tests.unit.runtime.scripted_server import ScriptedServer

SHOPIFY_CREDENTIALS = {"access_token": "shpat_pattern_test_token", "webhook_secret": "whsec_pattern_test"}


def shopify_client(version: str, shop: str) -> AppClient:
    connection = ConnectionValues("acme", credentials=SHOPIFY_CREDENTIALS, properties={"shop": shop})
    return AppClient(Catalog.load().get(f"shopify@{version}"), connection)


@pytest.mark.parametrize("version", ["1.0.0", "2.0.0"])
@pytest.mark.parametrize("shop", ["evil.example/x?", "evil.example#", "demo.myshopify.com", "a@evil.example", "-x"])
def test_a_shop_that_would_change_the_host_is_refused_before_any_request(version: str, shop: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        shopify_client(version, shop)
    message = str(caught.value)
    assert message.startswith(f"properties of shopify@{version}: 'shop': {shop!r} does not match the pattern")
    assert SHOPIFY_CREDENTIALS["access_token"] not in message


@pytest.mark.parametrize("shop", ["demo", "acme-store-2"])
def test_a_plain_shop_name_builds_its_myshopify_host(shop: str) -> None:
    assert shopify_client("2.0.0", shop).base_url == f"https://{shop}.myshopify.com/admin/api/2025-07"


def test_the_eshopbox_workspace_is_checked_too() -> None:
    credentials = {"client_id": "c", "client_secret": "s-123456", "refresh_token": "r-123456", "webhook_token": "w"}
    connection = ConnectionValues("acme", credentials, {"workspace": "evil.example/x?", "channel_id": "WEB"})
    with pytest.raises(ConfigurationError, match="properties of eshopbox@1.0.0: 'workspace': 'evil.example/x\\?'"):
        AppClient(Catalog.load().get("eshopbox@1.0.0"), connection)


def test_a_secret_that_does_not_match_is_not_shown() -> None:
    fields = {"key": PropertySpec(type="secret", pattern="sk_[a-z0-9]+")}
    with pytest.raises(ConfigurationError) as caught:
        resolve_values(fields, {"key": "SK-Leaked-Value-1"}, "properties of probe@1.0.0")
    assert str(caught.value) == "properties of probe@1.0.0: 'key': (a secret) does not match the pattern 'sk_[a-z0-9]+'"


def test_an_action_input_with_a_pattern_is_checked_before_the_request(scripted_server: ScriptedServer) -> None:
    search = {
        "name": "Find",
        "inputs": {"awb": {"required": True, "pattern": "[0-9]{13}"}},
        "request": {"url": "/track/{{ inputs.awb }}"},
    }
    client = make_client(make_spec(searches={"track": search}), scripted_server.url)
    with pytest.raises(ConfigurationError, match="inputs of search 'track' in probe@1.0.0: 'awb': '149080' does not"):
        run_search(client, "track", {"awb": "149080"})
    assert scripted_server.requests == []


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ({"pattern": "[a-z]+", "default": "Acme"}, "default 'Acme' does not match the pattern '[a-z]+'"),
        (
            {"type": "secret", "pattern": "[a-z]+", "default": "X"},
            "default (a secret) does not match the pattern '[a-z]+'",
        ),
        ({"pattern": "[a-z"}, "pattern '[a-z' is not a valid regular expression"),
        ({"type": "integer", "pattern": "[0-9]+"}, "'pattern' is only allowed with type 'string' or 'secret'"),
    ],
)
def test_the_definition_is_checked(field: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        TypedFieldSpec.model_validate(field)


def test_a_default_that_matches_is_used() -> None:
    fields = {"region": TypedFieldSpec(pattern="[a-z]{2}", default="in")}
    assert resolve_values(fields, {}, "inputs") == {"region": "in"}
