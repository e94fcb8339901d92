"""Delhivery's shipment creation (CMU, `POST /api/cmu/create.json`): a form body `format=json&data=<json>` whose
`data` holds `{"shipments": [...], "pickup_location": {"name": ...}}`. Delhivery answers 200 whatever happens:
`success` says whether every package was manifested, each package says `Success` or `Fail` with its remarks, and a
request it cannot read at all comes back with `error: true`, a remark (`rmk`) and no packages.

Following Delhivery's documentation: the body, `package_type`/`payment_mode` (Prepaid, COD, Pickup, REPL), the
order id being unique, the waybill assigned from the client's series when none is sent, and the answer's keys.
Assumptions: the wording of the remarks for a missing field, a reused order id ("Duplicate order id") or waybill
("Duplicate waybill"), "format key missing in POST", and packages being judged one by one (one bad package does
not stop the others)."""

from __future__ import annotations

import copy
import json
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request

from connectors.sandbox.delhivery.context import DelhiveryContext
from connectors.sandbox.delhivery.throttles import CREATE, throttle
from connectors.sandbox.delhivery.waybills import manifest

WAYBILL_SERIES = 1_490_820_000_000  # 13-digit waybills, as Delhivery's
REQUIRED = ("name", "add", "pin", "phone", "order", "payment_mode")
PAYMENT = {"prepaid": "Pre-paid", "cod": "COD", "pickup": "Pickup", "repl": "REPL"}
NO_WAREHOUSE = "ClientWarehouse matching query does not exist."


def manifest_router(ctx: DelhiveryContext) -> APIRouter:
    router = APIRouter()

    @router.post("/api/cmu/create.json")
    async def create(request: Request) -> dict[str, Any]:
        throttle(ctx, request, CREATE)
        form = {key: values[-1] for key, values in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
        if (form.get("format") or request.query_params.get("format")) != "json":
            return _refused("format key missing in POST")
        try:
            data = json.loads(form.get("data", ""))
        except ValueError:
            return _refused("shipment list contains no data.")
        shipments = data.get("shipments") if isinstance(data, dict) else None
        if not isinstance(shipments, list) or not shipments:
            return _refused("shipment list contains no data.")
        location = data.get("pickup_location") if isinstance(data.get("pickup_location"), dict) else {}
        if location.get("name") not in ctx.config.pickup_locations:
            return _refused(NO_WAREHOUSE)
        with ctx.state.lock:
            packages = [_package(ctx, shipment) for shipment in shipments]
            upload = f"UPL{ctx.state.next_id(21_969_500_000)}"
        return _answer(packages, upload)

    return router


def _package(ctx: DelhiveryContext, shipment: Any) -> dict[str, Any]:
    """Manifest one package (the state lock is held), or say why not."""
    shipment = shipment if isinstance(shipment, dict) else {}
    mode = str(shipment.get("payment_mode", "")).strip().lower()
    cod = _amount(shipment.get("cod_amount")) if mode == "cod" else 0.0
    order, wanted = str(shipment.get("order", "")).strip(), str(shipment.get("waybill") or "").strip()
    package = {
        "status": "Fail",
        "client": ctx.config.client_name,
        "sort_code": None,
        "remarks": [],
        "waybill": "",
        "cod_amount": cod,
        "payment": PAYMENT.get(mode, shipment.get("payment_mode")),
        "serviceable": True,
        "refnum": order,
    }
    data = ctx.state.delhivery
    missing = [name for name in REQUIRED if not str(shipment.get(name) or "").strip()]
    if missing:
        package["remarks"] = [f"{name} is a required field" for name in missing]
    elif mode not in PAYMENT:
        package["remarks"] = [f"Invalid payment_mode {shipment['payment_mode']!r}"]
    elif mode == "cod" and cod <= 0:
        package["remarks"] = ["cod_amount is required for a COD package"]
    elif order in data.orders:
        package["remarks"] = ["Duplicate order id"]
    elif wanted and wanted in data.shipments:
        package["remarks"] = ["Duplicate waybill"]
    else:
        awb = wanted or str(ctx.state.next_id(WAYBILL_SERIES))
        address = {
            "customerName": shipment["name"],
            "city": shipment.get("city", ""),
            "state": shipment.get("state", ""),
            "postalCode": str(shipment["pin"]),
        }
        record = manifest(ctx.state, awb, order, address)
        record["OrderType"] = package["payment"]
        data.orders[order] = awb
        package.update(status="Success", waybill=awb, sort_code=record["Sortcode"])
    return package


def _amount(value: Any) -> float:
    try:
        return round(float(value), 2)
    except (TypeError, ValueError):
        return 0.0


def _answer(packages: list[dict[str, Any]], upload: str) -> dict[str, Any]:
    done = [p for p in packages if p["status"] == "Success"]
    return {
        "cash_pickups_count": 0.0,
        "package_count": len(packages),
        "upload_wbn": upload,
        "replacement_count": sum(1 for p in done if p["payment"] == "REPL"),
        "pickups_count": sum(1 for p in done if p["payment"] == "Pickup"),
        "packages": copy.deepcopy(packages),
        "cash_pickups": 0.0,
        "cod_count": sum(1 for p in done if p["payment"] == "COD"),
        "success": len(done) == len(packages),
        "prepaid_count": sum(1 for p in done if p["payment"] == "Pre-paid"),
        "cod_amount": round(sum(p["cod_amount"] for p in done), 2),
    }


def _refused(remark: str) -> dict[str, Any]:
    """A request Delhivery cannot take at all: still a 200, with `error`, the remark and no packages."""
    return {
        "rmk": remark,
        "error": True,
        "success": False,
        "cash_pickups_count": 0,
        "cash_pickups": 0,
        "cod_count": 0,
        "package_count": 0,
        "upload_wbn": None,
        "replacement_count": 0,
        "cod_amount": 0,
        "prepaid_count": 0,
        "pickups_count": 0,
        "packages": [],
    }
