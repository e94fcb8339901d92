"""Delhivery's shipping charges (`GET /api/kinko/v1/invoice/charges/.json`): what a shipment of `cgm` grams from
`o_pin` to `d_pin` costs, by mode (`md` E express, S surface), status (`ss` Delivered, RTO, DTO) and payment (`pt`
Pre-paid, COD). Throttled by Delhivery at 40 calls a minute per IP (see `throttles`).

Following Delhivery's documentation: the path, the parameters and the throttle. Assumptions: the answer (a list of
one charge with `charge_DL`, `charge_COD`, `charge_RTO`, `gross_amount`, `tax_data`, `total_amount`, `zone`,
`charged_weight`, `status`), the prices (500 g slabs, a zone from the pin codes' first digits, 18% GST, COD 2% at
least 35), and a 400 `{"error"}` for a missing or wrong parameter."""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, Request

from connectors.sandbox.delhivery.context import DelhiveryContext
from connectors.sandbox.delhivery.throttles import INVOICE, throttle
from connectors.sandbox.vendor_api import VendorError

SLAB_PRICE = {"S": {"A": 30.0, "B": 36.0, "D": 45.0, "E": 60.0}, "E": {"A": 45.0, "B": 55.0, "D": 75.0, "E": 95.0}}
STATUSES = ("Delivered", "RTO", "DTO")
PAYMENTS = ("Pre-paid", "COD")


def charges_router(ctx: DelhiveryContext) -> APIRouter:
    router = APIRouter()

    @router.get("/api/kinko/v1/invoice/charges/.json")
    def charges(request: Request) -> list[dict[str, Any]]:
        throttle(ctx, request, INVOICE)
        query = request.query_params
        mode, status, payment = query.get("md", ""), query.get("ss", ""), query.get("pt", "Pre-paid")
        origin, destination = query.get("o_pin", ""), query.get("d_pin", "")
        if mode not in SLAB_PRICE or status not in STATUSES or payment not in PAYMENTS:
            raise VendorError(400, {"error": "md (E or S), ss (Delivered, RTO or DTO) and pt are required"})
        if not (origin.isdigit() and len(origin) == 6 and destination.isdigit() and len(destination) == 6):
            raise VendorError(400, {"error": "o_pin and d_pin must be 6-digit pin codes"})
        try:
            grams = float(query.get("cgm", ""))
        except ValueError:
            raise VendorError(400, {"error": "cgm (weight in grams) is required"}) from None
        zone = _zone(origin, destination)
        weight = max(1, math.ceil(grams / 500)) * 500
        freight = SLAB_PRICE[mode][zone] * weight / 500
        charge_dl = freight if status == "Delivered" else 0.0
        charge_rto = freight if status != "Delivered" else 0.0
        charge_cod = max(35.0, round(freight * 0.02, 2)) if payment == "COD" and status == "Delivered" else 0.0
        gross = round(freight + charge_cod, 2)
        tax = round(gross * 0.18, 2)
        return [
            {
                "charge_DL": charge_dl,
                "charge_RTO": charge_rto,
                "charge_COD": charge_cod,
                "gross_amount": gross,
                "tax_data": {"IGST": tax, "CGST": 0.0, "SGST": 0.0},
                "total_amount": round(gross + tax, 2),
                "zone": zone,
                "charged_weight": weight,
                "status": status,
            }
        ]

    return router


def _zone(origin: str, destination: str) -> str:
    if origin[:3] == destination[:3]:
        return "A"
    if origin[0] == destination[0]:
        return "B"
    return "D" if abs(int(origin[0]) - int(destination[0])) <= 3 else "E"
