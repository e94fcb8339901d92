"""Listings v3 inventory: `POST /listings/v3/update/inventory` with `{"<sku>": {"product_id", "locations": [{"id",
"inventory"}]}}`, answered per SKU with `{"status": "SUCCESS" | "WARNING" | "FAILURE", "errors",
"attribute_errors"}`, at most `MAX_SKUS` SKUs a call (more: 400 for the whole call)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from connectors.sandbox.flipkart.context import FlipkartContext, api_error
from connectors.sandbox.vendor_api import json_body

MAX_SKUS = 10  # SKUs one call may carry: Flipkart's limit is not in our reference (assumption, as in flipkart@1.0.0)


def _failure(description: str) -> dict[str, Any]:
    return {"status": "FAILURE", "errors": [{"severity": "ERROR", "description": description}],
            "attribute_errors": []}  # fmt: skip


def _update(listing: dict[str, Any] | None, entry: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The per-SKU answer and, when applied, the new locations (call with the lock held). Refused (FAILURE): an
    unknown SKU, a product_id not the listing's, no locations, a location the listing is not sold from, an
    inventory that is not a whole number >= 0. Applied with a WARNING: a location whose listing is DISABLED."""
    if listing is None:
        return _failure("Listing not found for the SKU"), []
    locations = entry.get("locations") if isinstance(entry, dict) else None
    problems, warnings = [], []
    if not isinstance(entry, dict) or entry.get("product_id") != listing["product_id"]:
        problems.append({"attribute": "product_id", "description": "product_id does not match the SKU's listing"})
    known = {location["id"]: location for location in listing["locations"]}
    if not isinstance(locations, list) or not locations:
        problems.append({"attribute": "locations", "description": "at least one location is required"})
    else:
        for location in locations:
            location_id = location.get("id") if isinstance(location, dict) else None
            count = location.get("inventory") if isinstance(location, dict) else None
            if location_id not in known:
                problem = f"location {location_id} is not a location of this listing"
                problems.append({"attribute": "locations.id", "description": problem})
            elif known[location_id].get("status") == "DISABLED":
                warning = f"listing is DISABLED at location {location_id}: stock saved"
                warnings.append({"severity": "WARNING", "description": warning})
            if not isinstance(count, int) or isinstance(count, bool) or count < 0:
                problems.append({"attribute": "inventory", "description": "inventory must be a whole number >= 0"})
    if problems:
        return {"status": "FAILURE", "errors": [], "attribute_errors": problems}, []
    applied = [{"id": location["id"], "inventory": location["inventory"]} for location in locations or []]
    status = "WARNING" if warnings else "SUCCESS"
    return {"status": status, "errors": warnings, "attribute_errors": []}, applied


def listings_router(ctx: FlipkartContext) -> APIRouter:
    router = APIRouter()

    @router.post("/listings/v3/update/inventory")
    async def update_inventory(request: Request) -> dict[str, Any]:
        body = await json_body(request, lambda m: api_error(400, m))
        if not isinstance(body, dict) or not body:
            raise api_error(400, "the body maps SKUs to their inventory")
        if len(body) > MAX_SKUS:
            raise api_error(400, f"at most {MAX_SKUS} SKUs per request, got {len(body)}")
        answer = {}
        with ctx.state.lock:
            for sku, entry in body.items():
                listing = ctx.state.flipkart.listings.get(sku)
                answer[sku], locations = _update(listing, entry)
                if listing is not None and locations:
                    known = {loc["id"]: loc for loc in listing["locations"]}
                    for location in locations:
                        known[location["id"]] = {**known[location["id"]], **location}
                    listing["locations"] = list(known.values())
        return answer

    return router
