"""What every Eshopbox route needs: the context (config, state, webhook sender), Eshopbox's `{"message"}` errors,
and the shipment journey: a status change as the WMS makes it (packing assigns a Delhivery AWB and manifests it at
the Delhivery sandbox) and the shipment webhooks it emits with the registered static headers. Kept apart from the
routers so that they and the app that mounts them (`simulator`) import it, never each other."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

from connectors.sandbox.config import EshopboxConfig
from connectors.sandbox.delhivery.waybills import manifest
from connectors.sandbox.emission import Delivery, WebhookSender
from connectors.sandbox.state import SandboxState
from connectors.sandbox.timestamps import iso_z, now
from connectors.sandbox.vendor_api import VendorError


def error(status: int, message: str, **extra: Any) -> VendorError:
    """Eshopbox APIs answer `{"message": ...}` (what its SDK reads), sometimes with more fields."""
    return VendorError(status, {"message": message, **extra})


@dataclass
class EshopboxContext:
    config: EshopboxConfig
    state: SandboxState
    sender: WebhookSender

    def new_id(self, base: int = 10_000_000) -> int:
        return self.state.next_id(base)

    def set_status(self, shipment: dict[str, Any], status: str, at: str | None = None) -> list[Delivery]:
        """Change a shipment's status as the WMS does (call with the lock held) and emit the shipment webhooks."""
        stamp = at or iso_z(now())
        if status == "packed" and not shipment.get("trackingID"):
            awb = str(self.new_id(base=1_490_800_000_000))
            shipment.update(
                trackingID=awb,
                courierName=self.config.courier_name,
                invoiceNumber=f"INV-{shipment['id']}",
                invoice_url=f"https://sandbox.eshopbox.invalid/invoices/{shipment['externalShipmentID']}.pdf",
                label_url=f"https://sandbox.eshopbox.invalid/labels/{awb}.pdf",
            )
            if self.config.courier_name.lower() == "delhivery":
                order = self.state.eshopbox.orders.get((shipment["externalChannelID"], shipment["customerOrderNumber"]))
                manifest(self.state, awb, shipment["customerOrderNumber"], (order or {}).get("shippingAddress"))
        shipment["status"], shipment["status_updated_at"] = status, stamp
        shipment["status_log"][status] = stamp
        return self.emit_shipment(shipment)

    def emit_shipment(self, shipment: dict[str, Any]) -> list[Delivery]:
        body = json.dumps(shipment, separators=(",", ":")).encode()
        deliveries = []
        for hook in list(self.state.eshopbox.webhooks.values()):
            sub_types = hook["eventSubType"] if isinstance(hook["eventSubType"], list) else [hook["eventSubType"]]
            wanted = any(s in (None, "", "updated", "all", shipment["status"]) for s in sub_types)
            channel = hook.get("externalChannelID")
            if hook["resource"] != "shipment" or not wanted or channel not in (None, shipment["externalChannelID"]):
                continue
            headers = dict(hook.get("webhookHeaders") or {})
            if "x-api-key" not in {name.lower() for name in headers}:
                headers["x-api-key"] = self.config.webhook_api_key
            deliveries.append(
                self.sender.send(
                    "eshopbox",
                    f"shipment/{shipment['status']}",
                    hook["webhookUrl"],
                    body,
                    headers,
                    retries=self.config.webhook_retries,
                    backoff=self.config.webhook_backoff,
                )
            )
        return deliveries


def shipment_or_404(ctx: EshopboxContext, shipment_id: str) -> dict[str, Any]:
    shipment = ctx.state.eshopbox.shipments.get(shipment_id)
    if shipment is None:
        raise error(404, f"Shipment {shipment_id} not found")
    return shipment


def copied(value: Any) -> Any:
    """A deep copy to answer with, taken under the lock: the state keeps changing after the response is built."""
    return copy.deepcopy(value)
