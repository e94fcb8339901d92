"""Shopify Admin REST orders routes (`connectors.sandbox.shopify.admin`): cursor pagination and filters."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.unit.sandbox.fixtures import Sandbox
from tests.unit.sandbox.shopify.api import new_order


def test_orders_paginate_with_link_header_and_page_info(sandbox: Sandbox) -> None:
    created = [new_order(sandbox)["order"]["id"] for _ in range(5)]
    first = sandbox.shopify("GET", "/orders.json", params={"status": "any", "limit": 2})
    assert first.status_code == 200
    assert [o["id"] for o in first.json()["orders"]] == sorted(created, reverse=True)[:2]
    assert set(first.links) == {"next"}
    next_url = first.links["next"]["url"]
    assert set(parse_qs(urlsplit(next_url).query)) == {"limit", "page_info"}

    seen = [o["id"] for o in first.json()["orders"]]
    response = first
    while "next" in response.links:
        response = sandbox.http.get(
            response.links["next"]["url"], headers={"X-Shopify-Access-Token": "shpat_sandbox_demo_token"}
        )
        assert response.status_code == 200
        seen += [o["id"] for o in response.json()["orders"]]
    assert seen == sorted(created, reverse=True)
    assert "previous" in response.links

    previous = sandbox.http.get(
        response.links["previous"]["url"], headers={"X-Shopify-Access-Token": "shpat_sandbox_demo_token"}
    )
    assert [o["id"] for o in previous.json()["orders"]] == sorted(created, reverse=True)[2:4]


def test_page_info_rejects_other_filters(sandbox: Sandbox) -> None:
    for _ in range(3):
        new_order(sandbox)
    first = sandbox.shopify("GET", "/orders.json", params={"limit": 1})
    page_info = parse_qs(urlsplit(first.links["next"]["url"]).query)["page_info"][0]
    refused = sandbox.shopify("GET", "/orders.json", params={"page_info": page_info, "status": "any"})
    assert refused.status_code == 400
    assert "status" in refused.json()["errors"]
    allowed = sandbox.shopify("GET", "/orders.json", params={"page_info": page_info, "limit": 1, "fields": "id,name"})
    assert allowed.status_code == 200
    assert set(allowed.json()["orders"][0]) == {"id", "name"}
    assert sandbox.shopify("GET", "/orders.json", params={"page_info": "garbage"}).status_code == 400


def test_updated_at_window_is_inclusive_and_timezone_aware(sandbox: Sandbox) -> None:
    old = new_order(sandbox, created_at="2024-10-01T09:00:00Z")["order"]
    inside = new_order(sandbox, created_at="2024-10-01T09:00:00Z", updated_at="2024-10-02T10:00:00Z")["order"]
    new_order(sandbox)  # now
    assert inside["updated_at"] == "2024-10-02T15:30:00+05:30"  # shop time
    window = {"status": "any", "updated_at_min": "2024-10-02T00:00:00Z", "updated_at_max": "2024-10-02T10:00:00Z"}
    found = sandbox.shopify("GET", "/orders.json", params=window).json()["orders"]
    assert [o["id"] for o in found] == [inside["id"]]
    before = {"status": "any", "updated_at_max": "2024-10-01T14:30:00+05:30"}
    assert [o["id"] for o in sandbox.shopify("GET", "/orders.json", params=before).json()["orders"]] == [old["id"]]
    assert sandbox.shopify("GET", "/orders.json", params={"updated_at_min": "yesterday"}).status_code == 400
