"""Listings Items 2021-08-01: `PATCH /listings/2021-08-01/items/{sellerId}/{sku}?marketplaceIds=` with a JSON Patch
of `/attributes/fulfillment_availability` (`[{fulfillment_channel_code: DEFAULT, quantity}]`), answered `ACCEPTED`
with a submission id (Amazon applies it later; the sandbox at once)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request

from connectors.sandbox.amazon.context import AmazonContext, amazon_time, sp_error
from connectors.sandbox.vendor_api import VendorError, json_body

AVAILABILITY = "/attributes/fulfillment_availability"
OPS = ("add", "replace", "merge", "delete")


def _bad(message: str) -> VendorError:
    return sp_error(400, "InvalidInput", message)


def _quantity(patches: Any) -> int | None:
    """The MFN quantity the patches set (None: they touch other attributes only)."""
    if not isinstance(patches, list) or not patches:
        raise _bad("patches must list at least one patch operation")
    quantity = None
    for patch in patches:
        if not isinstance(patch, dict) or patch.get("op") not in OPS or not str(patch.get("path", "")).startswith("/"):
            raise _bad("each patch needs op (add, replace, merge, delete) and a path")
        if patch["path"] != AVAILABILITY or patch["op"] == "delete":
            continue
        value = patch.get("value")
        entry = value[0] if isinstance(value, list) and value and isinstance(value[0], dict) else {}
        if entry.get("fulfillment_channel_code") != "DEFAULT" or not isinstance(entry.get("quantity"), int):
            raise _bad("fulfillment_availability needs [{fulfillment_channel_code: DEFAULT, quantity: <integer>}]")
        if entry["quantity"] < 0:
            raise _bad("quantity must be 0 or more")
        quantity = entry["quantity"]
    return quantity


def listings_router(ctx: AmazonContext) -> APIRouter:
    router = APIRouter()

    @router.patch("/listings/2021-08-01/items/{seller_id}/{sku}")
    async def patch_listings_item(seller_id: str, sku: str, request: Request) -> dict[str, Any]:
        if seller_id != ctx.config.seller_id:
            raise sp_error(403, "Unauthorized", "Access to requested resource is denied.", "")
        if not request.query_params.get("marketplaceIds"):
            raise _bad("Missing required 'marketplaceIds'")
        body = await json_body(request, _bad)
        if not isinstance(body, dict) or not body.get("productType"):
            raise _bad("productType is required")
        quantity = _quantity(body.get("patches"))
        with ctx.state.lock:
            listing = ctx.state.amazon.listings.get(sku)
            if listing is None:
                raise sp_error(404, "NotFound", f"Listing {sku} not found for seller {seller_id}")
            if quantity is not None:
                listing.update(quantity=quantity, lastUpdatedDate=amazon_time())
        return {"sku": sku, "status": "ACCEPTED", "submissionId": uuid.uuid4().hex, "issues": []}

    return router
