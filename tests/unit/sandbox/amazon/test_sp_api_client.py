"""Amazon's community Python client (`python-amazon-sp-api`, `sp_api.api.Orders`), pointed at the sandbox, makes
the calls amazon_sp_api@1.0.0 makes and reads the answers: the sandbox speaks SP-API's language. The client has no
endpoint argument: its LWA client's `scheme` and `host` and the client's `endpoint` are set to the sandbox's. It
sends no AWS signature (SP-API has not required SigV4 since 2023), so none is needed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from sp_api.api import Orders
from sp_api.auth import AccessTokenClient
from sp_api.auth.access_token_client import cache
from sp_api.base import Marketplaces, SellingApiRequestThrottledException

from tests.unit.sandbox.amazon.api import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, new_order
from tests.unit.sandbox.fixtures import Sandbox

CREDENTIALS = {"lwa_app_id": CLIENT_ID, "lwa_client_secret": CLIENT_SECRET, "refresh_token": REFRESH_TOKEN}


@pytest.fixture
def orders(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[Orders]:
    host = urlsplit(sandbox.url).netloc

    class SandboxLwa(AccessTokenClient):
        scheme, path = "http://", "/amazon/auth/o2/token"

    SandboxLwa.host = host
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    cache.clear()  # the library caches access tokens per refresh token, process-wide
    client = Orders(Marketplaces.IN, version="v0", credentials=CREDENTIALS, auth_token_client_class=SandboxLwa)
    client.endpoint = f"{sandbox.url}/amazon"
    yield client
    client.close()


def test_get_orders_follows_next_token_and_reads_the_rate_limit(sandbox: Sandbox, orders: Orders) -> None:
    start = dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)
    stamps = [(start + dt.timedelta(minutes=m)).isoformat() for m in range(3)]
    ids = [new_order(sandbox, updated_at=stamp)["AmazonOrderId"] for stamp in stamps]
    after = start.strftime("%Y-%m-%dT%H:%M:%SZ")
    first = orders.get_orders(LastUpdatedAfter=after, MaxResultsPerPage=2)
    assert first.rate_limit == "0.0167" and first.next_token
    second = orders.get_orders(LastUpdatedAfter=after, NextToken=first.next_token)
    assert [o["AmazonOrderId"] for o in first.payload["Orders"] + second.payload["Orders"]] == ids


def test_get_order_items_and_confirm_shipment(sandbox: Sandbox, orders: Orders) -> None:
    order_id = new_order(sandbox, quantity=1)["AmazonOrderId"]
    items = orders.get_order_items(order_id).payload["OrderItems"]
    assert items[0]["SellerSKU"] == "ESB-TEE-RED-M"
    lines = [{"orderItemId": items[0]["OrderItemId"], "quantity": 1}]
    package = {"packageReferenceId": "1", "carrierCode": "Delhivery", "trackingNumber": "AWB9",
               "shipDate": "2026-11-20T10:00:00Z", "orderItems": lines}  # fmt: skip
    orders.confirm_shipment(order_id, marketplaceId=Marketplaces.IN.marketplace_id, packageDetail=package)
    assert orders.get_order(order_id).payload["OrderStatus"] == "Shipped"


def test_a_throttled_call_raises_the_clients_throttling_error(sandbox: Sandbox, orders: Orders) -> None:
    after = "2026-11-20T10:00:00Z"
    with pytest.raises(SellingApiRequestThrottledException):
        for _ in range(21):  # getOrders: a burst of 20
            orders.get_orders(LastUpdatedAfter=after)
