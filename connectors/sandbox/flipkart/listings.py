"""Listings v3 inventory: `POST /listings/v3/update/inventory` with `{"<sku>": {"product_id", "locations": [{"id",
"inventory"}]}}`, answered per SKU with `{"status": "SUCCESS" | "FAILURE", "errors", "attribute_errors"}`."""

from __future__ import annotations

import copy
from typing import Any

from fastapi import APIRouter, Request

from connectors.sandbox.flipkart.context import FlipkartContext, api_error
from connectors.sandbox.vendor_api import json_body


def _update(listing: dict[str, Any] | None, entry: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The per-SKU answer and, on success, the new locations (call with the lock held)."""
    if listing is None:
        return {"status": "FAILURE", "errors": [{"severity": "ERROR", "description": "Listing not found"}],
                "attribute_errors": []}, []  # fmt: skip
    locations = entry.get("locations") if isinstance(entry, dict) else None
    problems = []
    if not isinstance(entry, dict) or entry.get("product_id") != listing["product_id"]:
        problems.append({"attribute": "product_id", "description": "product_id does not match the SKU's listing"})
    if not isinstance(locations, list) or not locations:
        problems.append({"attribute": "locations", "description": "at least one location is required"})
    else:
        for location in locations:
            count = location.get("inventory") if isinstance(location, dict) else None
            if not isinstance(count, int) or isinstance(count, bool) or count < 0:
                problems.append({"attribute": "inventory", "description": "inventory must be a whole number >= 0"})
    if problems:
        return {"status": "FAILURE", "errors": [], "attribute_errors": problems}, []
    return {"status": "SUCCESS", "errors": [], "attribute_errors": []}, copy.deepcopy(locations or [])


def listings_router(ctx: FlipkartContext) -> APIRouter:
    router = APIRouter()

    @router.post("/listings/v3/update/inventory")
    async def update_inventory(request: Request) -> dict[str, Any]:
        body = await json_body(request, lambda m: api_error(400, m))
        if not isinstance(body, dict) or not body:
            raise api_error(400, "the body maps SKUs to their inventory")
        answer = {}
        with ctx.state.lock:
            for sku, entry in body.items():
                listing = ctx.state.flipkart.listings.get(sku)
                answer[sku], locations = _update(listing, entry)
                if listing is not None and locations:
                    known = {loc["id"]: loc for loc in listing["locations"]}
                    for location in locations:
                        known[location["id"]] = {**known.get(location["id"], {"status": "ENABLED"}), **location}
                    listing["locations"] = list(known.values())
        return answer

    return router
