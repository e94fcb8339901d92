"""Eshopbox sandbox control API (`/eshopbox/_sandbox/...`): inspect and reset state, move a shipment through the
warehouse (emitting the shipment webhook), and change channel stock. The state shows the 429s served by the token
endpoint and the API (`rate_limited`, `rate_limited_by` client id)."""

from __future__ import annotations

import hashlib
import random
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from connectors.sandbox.emission import settle
from connectors.sandbox.eshopbox.context import EshopboxContext, copied, error, shipment_or_404
from connectors.sandbox.eshopbox.wms import FORWARD
from connectors.sandbox.timestamps import iso_z, now, parse_time
from connectors.sandbox.vendor_api import json_body, wants_wait


def esin_of(sku: str) -> str:
    """A stable ESIN per SKU (Eshopbox's own product id)."""
    return "ESN" + hashlib.sha1(sku.encode()).hexdigest()[:10].upper()


MAX_BULK = 1_000_000
ONE_BY_ONE = 16  # up to this many rows are placed in listing order one by one; more are sorted once when read


def store_rows(ctx: EshopboxContext, rows: list[dict[str, Any]]) -> None:
    """Store stock rows (call with the lock held); the rows are the state's own, not copies."""
    inventory = ctx.state.eshopbox.inventory
    if len(rows) > ONE_BY_ONE:
        inventory.load(((row["sku"], row["warehouseId"]), row) for row in rows)
        return
    for row in rows:
        inventory[(row["sku"], row["warehouseId"])] = row


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
                stored.append(record)
            store_rows(ctx, stored)
            return {"items": copied(stored)}

    @router.post("/inventory/bulk")
    async def set_inventory_bulk(request: Request) -> JSONResponse:
        """Stock for many SKUs in one call (100,000 in well under a second). Body: {"count": N, "sku_prefix":
        "SKU-", "start"?: 1, "pad"?: 0, "warehouse_id"?: config's, "sellable"?: int | "random" (0, with "seed"?
        and "max_sellable"? 100), "updated_at"?: ISO time (now)}; SKUs are `f"{sku_prefix}{n:0{pad}d}"` for n from
        `start`. Answers {"count", "warehouseId", "updatedAt", "sellable": {sku: sellable}}."""
        body = await json_body(request, lambda m: error(400, m))
        spec = body if isinstance(body, dict) else {}
        count, start, pad = spec.get("count"), spec.get("start", 1), spec.get("pad", 0)
        sellable, seed, ceiling = spec.get("sellable", 0), spec.get("seed"), spec.get("max_sellable", 100)
        whole = (count, start, pad, ceiling)
        if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in whole) or count > MAX_BULK:
            raise error(400, f"count (0..{MAX_BULK}), start, pad and max_sellable must be non-negative integers")
        if sellable != "random" and (not isinstance(sellable, int) or isinstance(sellable, bool)):
            raise error(400, 'sellable must be an integer or "random"')
        try:
            updated = iso_z(parse_time(spec["updated_at"])) if spec.get("updated_at") else iso_z(now())
        except ValueError:
            raise error(400, f"updated_at is not an ISO-8601 time: {spec['updated_at']!r}") from None
        prefix, warehouse = (
            str(spec.get("sku_prefix", "SKU-")),
            str(spec.get("warehouse_id") or ctx.config.warehouse_id),
        )
        draw = random.Random(seed)
        rows = []
        for number in range(start, start + count):
            sku = f"{prefix}{number:0{pad}d}"
            amount = draw.randint(0, ceiling) if sellable == "random" else sellable
            rows.append({"sku": sku, "esin": esin_of(sku), "warehouseId": warehouse, "sellable": amount,
                         "updatedAt": updated})  # fmt: skip
        with ctx.state.lock:
            store_rows(ctx, rows)
        answer = {"count": len(rows), "warehouseId": warehouse, "updatedAt": updated,
                  "sellable": {row["sku"]: row["sellable"] for row in rows}}  # fmt: skip
        return JSONResponse(answer)  # not through FastAPI's encoder: it is slow for 100,000 entries

    return router
