"""Flipkart sandbox control API (`/flipkart/_sandbox/...`): inspect and reset state, create shipments as a buyer's
order would (APPROVED, notifying `shipment_created`), move them along (SHIPPED, DELIVERED, CANCELLED), seed and read
back listings (many at once), set the notification URL (Flipkart onboards it by e-mail), expire tokens, and redeliver
notifications."""

from __future__ import annotations

import copy
import datetime as dt
import time
from typing import Any

from fastapi import APIRouter, Request

from connectors.sandbox.emission import redeliver as redeliver_delivery
from connectors.sandbox.emission import settle
from connectors.sandbox.flipkart.context import EVENT_BY_STATE, IST, FlipkartContext, status_of
from connectors.sandbox.state import SandboxState
from connectors.sandbox.timestamps import now, parse_time
from connectors.sandbox.vendor_api import VendorError, json_body, wants_wait

DEMO_LISTINGS = {"ESB-TEE-RED-M": "TSHFX7ZRED", "ESB-TEE-BLUE-L": "TSHFX7ZBLU", "ESB-MUG-WHITE": "MUGFX9WHT"}
DEMO_ADDRESS = {
    "firstName": "Asha", "lastName": "Rao", "addressLine1": "12 MG Road", "addressLine2": "", "landmark": "",
    "city": "Bengaluru", "state": "Karnataka", "stateCode": "IN-KA", "pincode": "560001", "contactNumber": "9800000000",
}  # fmt: skip


def _bad(message: str) -> VendorError:
    return VendorError(400, {"errors": [{"severity": "ERROR", "code": 400, "description": message}]})


def seed_listings(location_id: str) -> Any:
    def seed(state: SandboxState) -> None:
        for sku, product_id in DEMO_LISTINGS.items():
            locations = [{"id": location_id, "status": "ENABLED", "inventory": 0}]
            state.flipkart.listings[sku] = {"sku": sku, "product_id": product_id, "locations": locations}

    return seed


def _listing(row: dict[str, Any], location_id: str) -> dict[str, Any]:
    """A listing as the sandbox keeps it: {sku, product_id, locations: [{id, status, inventory}]}."""
    locations = row.get("locations") or [{"id": location_id, "inventory": 0}]
    return {
        "sku": str(row["sku"]), "product_id": str(row["product_id"]),
        "locations": [{"id": str(loc["id"]), "status": str(loc.get("status", "ENABLED")),
                       "inventory": int(loc.get("inventory", 0))} for loc in locations],
    }  # fmt: skip


def new_shipment(ctx: FlipkartContext, spec: dict[str, Any]) -> dict[str, Any]:
    """An APPROVED shipment of one order (call with the lock held); `spec` as the `POST /shipments` docstring says."""
    number = ctx.state.next_id(base=10_000)
    stamp = parse_time(spec["updated_at"]).astimezone(IST) if spec.get("updated_at") else now().astimezone(IST)
    order_id = f"OD{number:018d}"
    lines = spec.get("order_items") or [
        {"sku": spec.get("sku", "ESB-TEE-RED-M"), "quantity": spec.get("quantity", 1), "price": spec.get("price", 499)}
    ]
    items = []
    for index, line in enumerate(lines, start=1):
        quantity, price = int(line.get("quantity", 1)), float(line.get("price", 499))
        items.append({
            "orderItemId": f"{number}{index:03d}", "orderId": order_id, "cancellationGroupId": f"grp{number}",
            "orderDate": stamp.isoformat(timespec="seconds"), "paymentType": spec.get("payment_type", "PREPAID"),
            "status": "APPROVED", "quantity": quantity, "fsn": DEMO_LISTINGS.get(line["sku"], "FSN0000000"),
            "sku": line["sku"], "listingId": f"LST{number}{index:03d}", "hsn": "6109",
            "title": line.get("title", line["sku"]), "packageIds": [], "serviceProfile": "NON_FBF",
            "is_replacement": False,
            "priceComponents": {"sellingPrice": price, "totalPrice": price * quantity, "shippingCharge": 0.0,
                                "customerPrice": price * quantity, "flipkartDiscount": 0.0},
        })  # fmt: skip
    shipment_id = f"{number:08d}-{uuid_suffix(number)}"
    shipment = {
        "shipmentId": shipment_id, "locationId": spec.get("location_id", ctx.config.location_id),
        "dispatchAfterDate": stamp.isoformat(timespec="seconds"),
        "dispatchByDate": (stamp + dt.timedelta(days=2)).isoformat(timespec="seconds"),
        "updatedAt": stamp.isoformat(timespec="seconds"), "hold": False, "mps": False, "packagingPolicy": "DEFAULT",
        "shipmentType": "NORMAL", "subShipments": [{"subShipmentId": "SS-1", "packages": []}], "orderItems": items,
    }  # fmt: skip
    address = {**DEMO_ADDRESS, **(spec.get("address") or {})}
    ctx.state.flipkart.shipments[shipment_id] = {
        "shipment": shipment, "deliveryAddress": address, "billingAddress": copy.deepcopy(address),
        "buyerDetails": {"firstName": address["firstName"], "lastName": address["lastName"]},
    }  # fmt: skip
    return shipment


def uuid_suffix(number: int) -> str:
    """Flipkart shipment ids look like `18e1b6f8-3c4a-...`; a stable fake part keeps them readable."""
    return f"{number * 7919 % 0xFFFFFFFF:08x}"


def control_router(ctx: FlipkartContext) -> APIRouter:
    router = APIRouter()

    @router.get("/state")
    def state() -> dict[str, Any]:
        with ctx.state.lock:
            data = ctx.state.flipkart
            return copy.deepcopy({
                "shipments": list(data.shipments.values()),
                "listings": list(data.listings.values()),
                "token_calls": data.token_calls,
                "webhook_url": data.webhook_url or ctx.config.webhook_url,
                "deliveries": ctx.state.deliveries_of("flipkart"),
                **data.throttle.stats(),
            })  # fmt: skip

    @router.post("/reset")
    def reset() -> dict[str, Any]:
        ctx.state.reset("flipkart")
        return {"reset": "flipkart"}

    @router.post("/webhook")
    async def webhook(request: Request) -> dict[str, Any]:
        """Body: {"url"}: where notifications go (Flipkart onboards it by e-mail)."""
        body = await json_body(request, _bad)
        with ctx.state.lock:
            ctx.state.flipkart.webhook_url = str(body["url"]) if body.get("url") else None
            return {"webhook_url": ctx.state.flipkart.webhook_url}

    @router.post("/listings")
    async def seed(request: Request) -> dict[str, Any]:
        """Add or replace listings, many at once. Body: {"listings": [{sku, product_id, locations: [{id, inventory,
        status}]}]} and/or {"count": N, "prefix": "FK-SKU-", "inventory": 0, "location_id": ...} for N generated
        listings `<prefix>00001`... (product id `FSN<prefix>00001`) at one location (default: the config's)."""
        body = await json_body(request, _bad)
        try:
            listings = [_listing(row, ctx.config.location_id) for row in body.get("listings") or []]
            count = int(body.get("count") or 0)
            if not 0 <= count <= 100_000:
                raise ValueError("count must be between 0 and 100000")
            prefix, inventory = str(body.get("prefix") or "FK-SKU-"), int(body.get("inventory") or 0)
            location_id = str(body.get("location_id") or ctx.config.location_id)
            for number in range(1, count + 1):
                sku = f"{prefix}{number:05d}"
                at = [{"id": location_id, "inventory": inventory}]
                row = {"sku": sku, "product_id": f"FSN{sku}", "locations": at}
                listings.append(_listing(row, location_id))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise _bad(f"invalid listings: {exc}") from None
        with ctx.state.lock:
            for listing in listings:
                ctx.state.flipkart.listings[listing["sku"]] = listing
            total = len(ctx.state.flipkart.listings)
        return {"seeded": len(listings), "listings": total}

    @router.get("/listings")
    def listings(request: Request) -> dict[str, Any]:
        """Read back listings keyed by SKU: all, or `?sku=A,B` (unknown SKUs are left out)."""
        wanted = [sku for sku in request.query_params.get("sku", "").split(",") if sku]
        with ctx.state.lock:
            known = ctx.state.flipkart.listings
            chosen = {sku: known[sku] for sku in wanted if sku in known} if wanted else known
            return {"listings": copy.deepcopy(chosen)}

    @router.post("/expire_tokens")
    def expire_tokens() -> dict[str, Any]:
        """Every token issued until now answers 401 `Access token expired` from now on."""
        with ctx.state.lock:
            ctx.state.flipkart.tokens_valid_after = time.time()
        return {"expired_before": ctx.state.flipkart.tokens_valid_after}

    @router.post("/shipments", status_code=201)
    async def create(request: Request) -> dict[str, Any]:
        """Body (all optional): sku, quantity, price, order_items[{sku, quantity, price, title}], payment_type
        (PREPAID | COD), location_id, address{...}, updated_at; notifies `shipment_created`; `?wait=true`."""
        spec = await json_body(request, _bad, optional=True)
        try:
            with ctx.state.lock:
                shipment = new_shipment(ctx, spec)
                deliveries = ctx.notify("shipment_created", shipment)
                shipment = copy.deepcopy(shipment)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise _bad(f"invalid shipment spec: {exc}") from None
        if wants_wait(request):
            await settle(deliveries)
        return {"shipment": shipment, "deliveries": [d.id for d in deliveries]}

    @router.post("/shipments/{shipment_id}/status")
    async def move(shipment_id: str, request: Request) -> dict[str, Any]:
        """Body: {"status"}: any state of the v3 API (SHIPPED, DELIVERED, CANCELLED, ...), with its notification."""
        body = await json_body(request, _bad)
        status = str(body.get("status", ""))
        if status not in {*EVENT_BY_STATE, "PACKING_IN_PROGRESS", "FORM_FAILED"}:
            raise _bad(f"unknown status {status!r}")
        with ctx.state.lock:
            record = ctx.state.flipkart.shipments.get(shipment_id)
            if record is None:
                raise VendorError(404, {"errors": [{"severity": "ERROR", "code": 404, "description": "Not found"}]})
            deliveries = ctx.set_state(record, status)
            shipment = copy.deepcopy(record["shipment"])
        if wants_wait(request):
            await settle(deliveries)
        return {"shipment": shipment, "status": status_of(shipment)}

    @router.post("/redeliver/{delivery_id}")
    async def redeliver(delivery_id: str, request: Request) -> dict[str, Any]:
        """Send a notification again, byte for byte with the same X_Date and X_Authorization (a Flipkart retry)."""
        found = await redeliver_delivery(ctx.sender, ctx.state, "flipkart", delivery_id, wants_wait(request))
        if found is None:
            raise _bad(f"no delivery {delivery_id}")
        return found

    return router
