"""`integrations sandbox emit ...` (`connectors.sandbox.cli`) against a running sandbox."""

from __future__ import annotations

import json

from click.testing import CliRunner

from connectors.cli import main
from tests.unit.sandbox.eshopbox.api import order_body
from tests.unit.sandbox.fixtures import Receiver, Sandbox


def emit(sandbox: Sandbox, *args: str) -> dict:
    result = CliRunner().invoke(main, ["sandbox", "emit", *args, "--sandbox", sandbox.url], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_emit_commands(sandbox: Sandbox, receiver: Receiver) -> None:
    hook = {"webhook": {"topic": "orders/create", "address": receiver.url, "format": "json"}}
    sandbox.shopify("POST", "/webhooks.json", json=hook)
    order = emit(sandbox, "shopify-order", "--sku", "ESB-MUG-WHITE", "--quantity", "2")["order"]
    assert order["line_items"][0]["quantity"] == 2
    assert len(receiver.received) == 1  # --wait: delivered before the command returns

    headers = {"Authorization": f"Bearer {sandbox.eshopbox_token()}"}
    created = sandbox.http.post(f"{sandbox.url}/eshopbox/wms/api/order", json=order_body("CLI-1"), headers=headers)
    shipment_id = created.json()["shipments"][0]["externalShipmentID"]
    packed = emit(sandbox, "eshopbox-shipment", shipment_id, "packed")["shipment"]
    assert packed["status"] == "packed"

    scan = emit(sandbox, "delhivery-scan", packed["trackingID"], "Delivered")
    assert scan["push"]["Shipment"]["Status"]["StatusType"] == "DL"
    assert scan["push"]["Shipment"]["ReferenceNo"] == "CLI-1"


def test_emit_reports_errors(sandbox: Sandbox) -> None:
    result = CliRunner().invoke(
        main, ["sandbox", "emit", "eshopbox-shipment", "NOPE", "packed", "--sandbox", sandbox.url]
    )
    assert result.exit_code == 1 and "404" in result.output
