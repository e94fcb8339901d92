"""Eshopbox sandbox control API (`/eshopbox/_sandbox/...`): inspect and reset state, move a shipment through the
warehouse (emitting the shipment webhook), and change channel stock. The state shows the 429s served by the token
endpoint and the API (`rate_limited`, `rate_limited_by` client id)."""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import APIRouter, Request

from connectors.sandbox.emission import settle
from connectors.sandbox.eshopbox.context import EshopboxContext, copied, error, shipment_or_404
from connectors.sandbox.eshopbox.wms import FORWARD
from connectors.sandbox.timestamps import iso_z, now, parse_time
from connectors.sandbox.vendor_api import json_body, wants_wait


def esin_of(sku: str) -> str:
    """A stable ESIN per SKU (Eshopbox's own product id)."""
    return "ESN" + hashlib.sha1(sku.encode()).hexdigest()[:10].upper()


def control_router(ctx: EshopboxContext) -> APIRouter:
    router = APIRouter()

    @router.get("/state")
    def state() -> dict[str, Any]:
        with ctx.state.lock:
            data = ctx.state.eshopbox  # replaced on reset: read it under the lock
            return copied(
                {
                    "orders": list(data.orders.values()),
                    "shipments": list(data.shipments.values()),
                    "inventory": list(data.inventory.values()),
                    "webhooks": list(data.webhooks.values()),
                    "courier_updates": data.courier_updates,
                    "refused_duplicates": data.refused_duplicates,
                    "token_calls": data.token_calls,
                    "tokens_issued": data.tokens_issued,
                    "deliveries": ctx.state.deliveries_of("eshopbox"),
                    **data.throttle.stats(),
                }
            )

    @router.get("/order_counts")
    def order_counts() -> dict[str, Any]:
        """Orders stored per customerOrderNumber (over all channels) and creates refused as duplicates: what a test
        needs to tell lost and duplicated orders apart, without copying every order."""
        with ctx.state.lock:
            data = ctx.state.eshopbox
            created: dict[str, int] = {}
            for _, number in data.orders:
                created[number] = created.get(number, 0) + 1
            return {"created": created, "refused_duplicates": dict(data.refused_duplicates)}

    @router.post("/reset")
    def reset() -> dict[str, Any]:
        ctx.state.reset("eshopbox")
        return {"reset": "eshopbox"}

    @router.post("/shipments/{shipment_id}/status")
    async def change_status(shipment_id: str, request: Request) -> dict[str, Any]:
        """Body: {"status": "packed"|"dispatched"|"delivered"|..., "at"?: ISO time, "trackingID"?, "courierName"?}.
        Packing assigns an AWB and courier when the shipment has none. `?wait=true` delivers webhooks inline."""
        body = await json_body(request, lambda m: error(400, m))
        status = body.get("status") if isinstance(body, dict) else None
        if status not in FORWARD:
            raise error(400, f"Unknown shipment status {status!r}", allowed=sorted(FORWARD))
        try:
            at = iso_z(parse_time(body["at"])) if body.get("at") else None
        except ValueError:
            raise error(400, "at is not an ISO-8601 time") from None
        with ctx.state.lock:
            shipment = shipment_or_404(ctx, shipment_id)
            shipment.update({k: body[k] for k in ("trackingID", "courierName", "remarks") if body.get(k)})
            deliveries = ctx.set_status(shipment, status, at)
            result = copied(shipment)
        if wants_wait(request):
            await settle(deliveries)
        return {"shipment": result, "deliveries": [d.id for d in deliveries]}

    @router.post("/inventory")
    async def set_inventory(request: Request) -> dict[str, Any]:
        """Body: a row, a list of rows or {"items": [...]}; row = {sku, warehouseId?, sellable, updatedAt?}.
        `updatedAt` defaults to now, so tests can place stock changes inside a past polling window."""
        body = await json_body(request, lambda m: error(400, m))
        rows = body.get("items") if isinstance(body, dict) and "items" in body else body
        rows = rows if isinstance(rows, list) else [rows]
        stored = []
        with ctx.state.lock:
            for row in rows:
                if not isinstance(row, dict) or not row.get("sku") or not isinstance(row.get("sellable"), int):
                    raise error(400, "each row needs sku and an integer sellable", row=row)
                try:
                    updated = iso_z(parse_time(row["updatedAt"])) if row.get("updatedAt") else iso_z(now())
                except ValueError:
                    raise error(400, f"updatedAt is not an ISO-8601 time: {row['updatedAt']!r}") from None
                warehouse = str(row.get("warehouseId") or ctx.config.warehouse_id)
                record = {
                    "sku": str(row["sku"]),
                    "esin": row.get("esin") or esin_of(str(row["sku"])),
                    "warehouseId": warehouse,
                    "sellable": row["sellable"],
                    "updatedAt": updated,
                }
                ctx.state.eshopbox.inventory[(record["sku"], warehouse)] = record
                stored.append(dict(record))
        return {"items": stored}

    return router
