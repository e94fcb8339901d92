"""`integrations sandbox serve|emit ...`: run the sandboxes, and make them emit vendor events."""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import urlsplit

import click
import requests

from connectors.sandbox.server import serve
from connectors.sandbox.subscriptions import subscribe_demo

DEFAULT_SANDBOX = os.environ.get("SANDBOX_URL", "http://127.0.0.1:8900")
sandbox_option = click.option(
    "--sandbox", default=DEFAULT_SANDBOX, show_default=True, help="Base URL of a running sandbox (env SANDBOX_URL)."
)


@click.group("sandbox")
def sandbox() -> None:
    """Simulators of Shopify, Eshopbox and Delhivery (one server, one port)."""


@sandbox.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8900, show_default=True, type=int)
def serve_command(host: str, port: int) -> None:
    """Serve /shopify, /eshopbox and /delhivery (settings from SANDBOX_<VENDOR>_<FIELD> variables)."""
    base = f"http://{host}:{port}"
    click.echo(f"ADMIN_BASE_URL={base}/shopify")
    click.echo(f"WMS_BASE_URL={base}/eshopbox/wms AUTH_BASE_URL={base}/eshopbox/auth")
    click.echo(f"PLATFORM_BASE_URL={base}/eshopbox/platform")
    click.echo(f"BASE_URL (delhivery)={base}/delhivery")
    serve(host, port)


@sandbox.group("emit")
def emit() -> None:
    """Make a vendor emit an event through a running sandbox's control API."""


def _post(url: str, body: dict[str, Any]) -> None:
    session = requests.Session()
    session.trust_env = urlsplit(url).hostname not in ("127.0.0.1", "localhost")  # no proxy for a local sandbox
    try:
        response = session.post(url, json=body, params={"wait": "true"}, timeout=60)
    except requests.RequestException as exc:
        raise click.ClickException(f"sandbox not reachable at {url}: {exc}") from None
    if response.status_code >= 400:
        raise click.ClickException(f"{response.status_code}: {response.text}")
    click.echo(json.dumps(response.json(), indent=2))


@emit.command("shopify-order")
@sandbox_option
@click.option("--sku", default="ESB-TEE-RED-M", show_default=True)
@click.option("--quantity", default=1, show_default=True, type=int)
@click.option("--price", default="499.00", show_default=True)
@click.option("--email", default=None, help="Shopper email (default: generated).")
def emit_shopify_order(sandbox: str, sku: str, quantity: int, price: str, email: str | None) -> None:
    """Create a Shopify order and send `orders/create` to the subscribed webhooks."""
    body: dict[str, Any] = {
        "sku": sku,
        "quantity": quantity,
        "line_items": [{"sku": sku, "quantity": quantity, "price": price}],
    }
    if email:
        body["email"] = email
    _post(f"{sandbox.rstrip('/')}/shopify/_sandbox/orders", body)


@emit.command("eshopbox-shipment")
@sandbox_option
@click.argument("shipment_id")
@click.argument("status")
def emit_eshopbox_shipment(sandbox: str, shipment_id: str, status: str) -> None:
    """Move Eshopbox shipment SHIPMENT_ID to STATUS (packed, dispatched, delivered, ...) and send its webhook."""
    _post(f"{sandbox.rstrip('/')}/eshopbox/_sandbox/shipments/{shipment_id}/status", {"status": status})


@emit.command("delhivery-scan")
@sandbox_option
@click.argument("waybill")
@click.argument("status")
@click.option("--status-type", default=None, help="UD, DL, RT, ... (default: from STATUS).")
@click.option("--location", default=None)
def emit_delhivery_scan(sandbox: str, waybill: str, status: str, status_type: str | None, location: str | None) -> None:
    """Record a Delhivery scan of WAYBILL with STATUS (e.g. "In Transit", Delivered) and push it."""
    body = {"waybill": waybill, "status": status, "status_type": status_type, "location": location}
    _post(f"{sandbox.rstrip('/')}/delhivery/_sandbox/scan", {k: v for k, v in body.items() if v})


@sandbox.command("subscribe")
@sandbox_option
@click.option(
    "--receiver", default="http://127.0.0.1:8080/integrations", show_default=True, help="The webhook receiver's base."
)
def subscribe_command(sandbox: str, receiver: str) -> None:
    """Send the sandboxes' webhooks to the receiver (Shopify orders/create, Eshopbox shipments, Delhivery scans)."""
    try:
        click.echo(json.dumps(subscribe_demo(sandbox, receiver)))
    except (requests.RequestException, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from None
