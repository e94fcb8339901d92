"""Shopify GraphQL Admin API (`POST /admin/api/{version}/graphql.json`) over the same state as the REST routes.

What it implements, after shopify.dev's "GraphQL Admin API rate limits":
- Calculated query cost: a scalar or enum costs 0, an object 1, a connection (or a list with `first`) 2 plus
  `first`/`last` times its node (1 + the node's selection), `pageInfo` and `userErrors` are part of that 2, and a
  mutation costs 10. `requestedQueryCost` is computed before execution from the arguments; `actualQueryCost` from
  what came back (fewer nodes than asked cost less), and the difference is refunded to the bucket.
- A leaky bucket per shop of `graphql_bucket_size` points restoring `graphql_restore_rate` per second (1000 and
  50 by default); a query whose requested cost the bucket does not hold is refused with HTTP 200,
  `errors: [{message: "Throttled", extensions: {code: "THROTTLED"}}]` and `extensions.cost` (actualQueryCost null).
  A query costing more than `graphql_max_query_cost` is refused with `MAX_COST_EXCEEDED`.
- Errors in a 200: syntax and validation errors in `errors`, mutation validation in `userErrors`.
- Input arrays hold at most 250 elements (shopify.dev "API limits"): a longer one is refused before anything runs
  with `errors: [{message: "The input array size of N is greater than the maximum allowed of 250.", path:
  [field, argument, ...], extensions: {code: "MAX_INPUT_SIZE_EXCEEDED"}}]` and no `data`, nothing spent.
- `inventoryItems(first, after, query)` pages items by id; `query` takes `sku:VALUE` terms (a value may be quoted
  with double quotes) joined by ` OR `, looked up in the SKU index of the state, never by a scan.
- Auth is the shared `X-Shopify-Access-Token` gate of the simulator (401 without it).
"""

from __future__ import annotations

import base64
import bisect
import datetime as dt
import json
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import graphql
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from graphql.execution.values import get_argument_values, get_variable_values

from connectors.sandbox.config import event_statuses_for
from connectors.sandbox.shopify.context import ShopifyContext
from connectors.sandbox.shopify.fulfillment import add_fulfillment_event, fulfil, set_available
from connectors.sandbox.shopify.graphql_schema import SCHEMA
from connectors.sandbox.timestamps import parse_time
from connectors.sandbox.vendor_api import VendorError

COST_SCOPE = "graphql"  # the Throttle scope of the cost bucket, one bucket per shop
MUTATION_COST, CONNECTION_COST, OBJECT_COST = 10, 2, 1
FREE_TYPES = {"PageInfo", "UserError", "InventorySetQuantitiesUserError"}
MAX_PAGE = 250
MAX_INPUT_ARRAY = 250  # elements of any input array (shopify.dev "API limits")
QUANTITY_NAMES = (
    "available", "committed", "damaged", "incoming", "on_hand", "quality_control", "reserved", "safety_stock",
)  # fmt: skip
SET_REASONS = {
    "correction", "cycle_count_available", "damaged", "movement_created", "movement_updated", "movement_received",
    "movement_canceled", "other", "promotion", "quality_control", "received", "reservation_created",
    "reservation_deleted", "reservation_updated", "restock", "safety_stock", "shrinkage",
}  # fmt: skip


class CostBucket:
    """Points available to one shop: spent before a query runs, refunded by what it did not use."""

    def __init__(self, size: float, rate: float, clock: Callable[[], float]) -> None:
        self.size, self.rate, self.clock = size, rate, clock
        self.level, self.stamp = float(size), clock()

    def _restore(self) -> None:
        moment = self.clock()
        self.level = min(self.size, self.level + (moment - self.stamp) * self.rate)
        self.stamp = moment

    def spend(self, cost: float) -> bool:
        self._restore()
        if cost > self.level:
            return False
        self.level -= cost
        return True

    def refund(self, points: float) -> None:
        self._restore()
        self.level = min(self.size, self.level + points)

    def status(self) -> dict[str, float]:
        self._restore()
        return {"maximumAvailable": float(self.size), "currentlyAvailable": round(self.level, 1),
                "restoreRate": float(self.rate)}  # fmt: skip

    # `Throttle` lists every limit of a vendor; a cost bucket is only spent through `spend`
    def take(self) -> bool:
        return self.spend(1)

    def retry_after(self) -> float:
        self._restore()
        return max(0.0, (1 - self.level) / self.rate) if self.rate else 0.0


def gid(kind: str, number: int) -> str:
    return f"gid://shopify/{kind}/{number}"


def parse_gid(value: Any, kind: str) -> int | None:
    prefix = f"gid://shopify/{kind}/"
    text = str(value)
    tail = text[len(prefix) :].split("?", 1)[0] if text.startswith(prefix) else ""
    return int(tail) if tail.isdigit() else None


def _utc(ctx: ShopifyContext, stamp: str | None) -> str | None:
    """GraphQL DateTimes are UTC (`2024-10-03T04:30:00Z`); REST answers in shop time."""
    if not stamp:
        return None
    return parse_time(stamp, ctx.tz).astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _money(amount: Any) -> dict[str, Any]:
    money = {"amount": str(amount), "currencyCode": "INR"}
    return {"shopMoney": money, "presentmentMoney": money}


def _cursor(key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps({"last_id": key}).encode()).decode()


def _after(cursor: str | None) -> Any:
    if cursor is None:
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(cursor))["last_id"]
    except (ValueError, KeyError, TypeError):
        raise graphql.GraphQLError(f"Invalid cursor for current pagination sort: {cursor}") from None


def connection(items: list[tuple[Any, dict[str, Any]]], args: dict[str, Any]) -> dict[str, Any]:
    """A Relay connection over (key, node) pairs in order: `first`/`after` forwards, `last`/`before` backwards."""
    first, last = args.get("first"), args.get("last")
    if first is None and last is None:
        raise graphql.GraphQLError("you must provide one of first or last")
    size = first if first is not None else last
    if size > MAX_PAGE or size < 0:
        raise graphql.GraphQLError(f"The maximum page size is {MAX_PAGE}, and it must not be negative")
    keys = [key for key, _ in items]
    start, end = 0, len(items)
    if (after := _after(args.get("after"))) is not None:
        start = keys.index(after) + 1 if after in keys else len(items)
    if (before := _after(args.get("before"))) is not None:
        end = keys.index(before) if before in keys else 0
    window = items[start:end]
    page = window[:size] if first is not None else window[max(0, len(window) - size) :]
    begin = start + (0 if first is not None else max(0, len(window) - size))
    nodes = [node for _, node in page]
    return {
        "nodes": nodes,
        "edges": [{"cursor": _cursor(key), "node": node} for key, node in page],
        "pageInfo": {
            "hasNextPage": begin + len(page) < len(items) if first is not None else end < len(items),
            "hasPreviousPage": begin > 0,
            "startCursor": _cursor(page[0][0]) if page else None,
            "endCursor": _cursor(page[-1][0]) if page else None,
        },
    }


# --- search syntax ------------------------------------------------------------------------------------------
SEARCH_TIME_FIELDS = {"updated_at": "updated_at", "created_at": "created_at", "processed_at": "processed_at"}
COMPARATORS: dict[str, Callable[[Any, Any], bool]] = {
    ">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, "<": lambda a, b: a < b,
    "": lambda a, b: a == b,
}  # fmt: skip


def search_terms(query: str | None) -> list[tuple[str, str, str]]:
    """`updated_at:>='2025-01-01T00:00:00Z' AND status:open` -> [(field, comparator, value)]; terms joined by
    spaces or AND (OR, NOT and grouping are not supported by this sandbox)."""
    terms = []
    for token in _tokens(query or ""):
        if token.upper() == "AND" or ":" not in token:
            continue
        field, _, rest = token.partition(":")
        comparator = next((c for c in (">=", "<=", ">", "<") if rest.startswith(c)), "")
        terms.append((field.lower(), comparator, rest[len(comparator) :].strip("'\"")))
    return terms


def _tokens(text: str) -> Iterable[str]:
    token, quote = "", ""
    for char in text:
        if quote:
            token += char
            quote = "" if char == quote else quote
        elif char in "'\"":
            token, quote = token + char, char
        elif char.isspace():
            if token:
                yield token
            token = ""
        else:
            token += char
    if token:
        yield token


def sku_search(query: str | None) -> list[list[str]] | None:
    """`sku:A OR sku:"B 2"` -> [["A"], ["B 2"]]: groups joined by OR, each the SKUs its terms (AND) name; None when
    some group names no SKU (it matches every item). Other fields are ignored, as Shopify ignores unknown ones."""
    groups: list[list[str]] = [[]]
    for token in _tokens(query or ""):
        if token.upper() == "OR":
            groups.append([])
            continue
        field, _, value = token.partition(":")
        if field.lower() == "sku" and value:
            groups[-1].append(value[1:-1] if len(value) > 1 and value[0] == value[-1] == '"' else value)
    return None if any(not group for group in groups) else groups


def order_matches(ctx: ShopifyContext, order: dict[str, Any], terms: list[tuple[str, str, str]]) -> bool:
    for field, comparator, value in terms:
        compare = COMPARATORS[comparator]
        if field in SEARCH_TIME_FIELDS:
            stamp = order.get(SEARCH_TIME_FIELDS[field])
            try:
                bound = parse_time(value, ctx.tz)
            except ValueError:
                raise graphql.GraphQLError(f"Invalid search value for {field}: {value}") from None
            if stamp is None or not compare(parse_time(stamp, ctx.tz), bound):
                return False
        elif field == "status" and value != "any":
            state = "cancelled" if order["cancelled_at"] else "closed" if order["closed_at"] else "open"
            if (value == "not_closed" and state == "closed") or (value != "not_closed" and state != value):
                return False
        elif (
            field == "name"
            and order["name"].lstrip("#") != value.lstrip("#")
            or field == "id"
            and not compare(order["id"], int(value) if value.isdigit() else -1)
        ):
            return False
    return True


# --- objects ------------------------------------------------------------------------------------------------
class Nodes:
    """REST-shaped state -> GraphQL-shaped dicts; fields with arguments are callables (graphql-core calls them)."""

    def __init__(self, ctx: ShopifyContext) -> None:
        self.ctx = ctx

    def order(self, order: dict[str, Any]) -> dict[str, Any]:
        ctx, fos = self.ctx, self.ctx.state.shopify.fulfillment_orders.values()
        lines = [(line["id"], self.line_item(line)) for line in order["line_items"]]
        fo_items = sorted((fo["id"], fo) for fo in fos if fo["order_id"] == order["id"])
        fulfillments = [self.fulfillment(f, order) for f in order["fulfillments"]]
        return {
            "id": gid("Order", order["id"]),
            "legacyResourceId": str(order["id"]),
            "name": order["name"],
            "email": order.get("email"),
            "phone": order.get("phone"),
            "createdAt": _utc(ctx, order["created_at"]),
            "updatedAt": _utc(ctx, order["updated_at"]),
            "processedAt": _utc(ctx, order.get("processed_at") or order["created_at"]),
            "closedAt": _utc(ctx, order.get("closed_at")),
            "cancelledAt": _utc(ctx, order.get("cancelled_at")),
            "displayFinancialStatus": str(order.get("financial_status") or "pending").upper(),
            "displayFulfillmentStatus": str(order.get("fulfillment_status") or "unfulfilled").upper(),
            "currencyCode": order.get("currency", "INR"),
            "subtotalPriceSet": _money(order["subtotal_price"]),
            "totalTaxSet": _money(order["total_tax"]),
            "totalPriceSet": _money(order["total_price"]),
            "shippingAddress": self.address(order.get("shipping_address")),
            "billingAddress": self.address(order.get("billing_address")),
            "lineItems": lambda info, **args: connection(lines, args),
            "fulfillmentOrders": lambda info, **args: connection(
                [(key, self.fulfillment_order(fo, order)) for key, fo in fo_items], args
            ),
            "fulfillments": lambda info, first=None: fulfillments[:first] if first is not None else fulfillments,
        }

    @staticmethod
    def address(address: dict[str, Any] | None) -> dict[str, Any] | None:
        if not address:
            return None
        names = {"firstName": "first_name", "lastName": "last_name", "provinceCode": "province_code",
                 "countryCodeV2": "country_code"}  # fmt: skip
        plain = ("name", "address1", "address2", "city", "province", "zip", "country", "phone", "company")
        return {**{key: address.get(key) for key in plain}, **{key: address.get(rest) for key, rest in names.items()}}

    @staticmethod
    def line_item(line: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": gid("LineItem", line["id"]),
            "sku": line.get("sku"),
            "title": line["title"],
            "name": line.get("name") or line["title"],
            "quantity": line["quantity"],
            "currentQuantity": line.get("current_quantity", line["quantity"]),
            "unfulfilledQuantity": line.get("fulfillable_quantity", 0),
            "originalUnitPriceSet": _money(line["price"]),
        }

    def fulfillment_order(self, fo: dict[str, Any], order: dict[str, Any] | None = None) -> dict[str, Any]:
        order = order or self.ctx.state.shopify.orders[fo["order_id"]]
        lines = {line["id"]: line for line in order["line_items"]}
        items = [
            (item["id"], {
                "id": gid("FulfillmentOrderLineItem", item["id"]),
                "sku": lines[item["line_item_id"]].get("sku"),
                "totalQuantity": item["quantity"],
                "remainingQuantity": item["fulfillable_quantity"],
                "lineItem": self.line_item(lines[item["line_item_id"]]),
            })
            for item in fo["line_items"]
        ]  # fmt: skip
        return {
            "id": gid("FulfillmentOrder", fo["id"]),
            "status": fo["status"].upper(),
            "createdAt": _utc(self.ctx, fo["created_at"]),
            "updatedAt": _utc(self.ctx, fo["updated_at"]),
            "order": lambda info: self.order(order),
            "lineItems": lambda info, **args: connection(items, args),
        }

    def fulfillment(self, fulfillment: dict[str, Any], order: dict[str, Any] | None = None) -> dict[str, Any]:
        order = order or self.ctx.state.shopify.orders[fulfillment["order_id"]]
        tracking = [
            {"company": fulfillment.get("tracking_company"), "number": number, "url": url}
            for number, url in zip(
                fulfillment.get("tracking_numbers") or [None],
                fulfillment.get("tracking_urls") or [fulfillment.get("tracking_url")],
                strict=False,
            )
            if number or url or fulfillment.get("tracking_company")
        ]
        return {
            "id": gid("Fulfillment", fulfillment["id"]),
            "legacyResourceId": str(fulfillment["id"]),
            "name": fulfillment["name"],
            "status": fulfillment["status"].upper(),
            "createdAt": _utc(self.ctx, fulfillment["created_at"]),
            "updatedAt": _utc(self.ctx, fulfillment["updated_at"]),
            "trackingInfo": lambda info, first=None: tracking[:first] if first is not None else tracking,
            "order": lambda info: self.order(order),
        }

    def location(self, location_id: int) -> dict[str, Any]:
        found = self.ctx.state.shopify.locations.get(location_id) or {}
        name = found.get("name") or f"Location {location_id}"
        return {"id": gid("Location", location_id), "legacyResourceId": str(location_id), "name": name}

    def inventory_item(self, item: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": gid("InventoryItem", item["id"]),
            "legacyResourceId": str(item["id"]),
            "sku": item.get("sku"),
            "tracked": bool(item.get("tracked", True)),
            "inventoryLevel": lambda info, locationId: self.inventory_level(item, parse_gid(locationId, "Location")),
        }

    def inventory_level(self, item: dict[str, Any], location_id: int | None) -> dict[str, Any] | None:
        """The item's level at the location; None where it is not stocked (no level was ever set)."""
        level = self.ctx.state.shopify.inventory_levels.get((item["id"], location_id))
        if level is None or location_id is None:
            return None
        updated = _utc(self.ctx, level.get("updated_at"))

        def quantities(info: Any, names: list[str]) -> list[dict[str, Any]]:
            unknown = [name for name in names if name not in QUANTITY_NAMES]
            if unknown:
                raise graphql.GraphQLError(f"Invalid quantity names: {', '.join(unknown)}. "
                                           f"Valid names are: {', '.join(QUANTITY_NAMES)}.")  # fmt: skip
            available = level.get("available") or 0
            amounts = {"available": available, "on_hand": available}  # nothing is committed or reserved here
            return [{"name": name, "quantity": amounts.get(name, 0), "updatedAt": updated} for name in names]

        return {
            "id": level.get("admin_graphql_api_id")
            or f"gid://shopify/InventoryLevel/{location_id}?inventory_item_id={item['id']}",
            "location": self.location(location_id),
            "item": lambda info: self.inventory_item(item),
            "updatedAt": updated,
            "quantities": quantities,
        }

    def event(self, event: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": gid("FulfillmentEvent", event["id"]),
            "status": event["status"].upper(),
            "message": event.get("message"),
            "happenedAt": _utc(self.ctx, event["happened_at"]),
            "createdAt": _utc(self.ctx, event["created_at"]),
        }


# --- operations ---------------------------------------------------------------------------------------------
def _user_errors(exc: VendorError, field: list[str]) -> list[dict[str, Any]]:
    detail = exc.body.get("errors") if isinstance(exc.body, dict) else exc.body
    messages = detail if isinstance(detail, list) else [detail]
    if isinstance(detail, dict):
        messages = [f"{name} {value}" for name, value in detail.items()]
    return [{"field": field, "message": str(message)} for message in messages]


class Root:
    """Query and mutation fields (graphql-core calls the methods with `info` and the arguments)."""

    def __init__(self, ctx: ShopifyContext, version: str) -> None:
        self.ctx, self.version, self.nodes = ctx, version, Nodes(ctx)

    def shop(self, info: Any) -> dict[str, Any]:
        return {"name": "Sandbox", "myshopifyDomain": self.ctx.config.shop_domain}

    def order(self, info: Any, id: str) -> dict[str, Any] | None:
        found = self.ctx.state.shopify.orders.get(parse_gid(id, "Order") or -1)
        return self.nodes.order(found) if found else None

    def fulfillmentOrder(self, info: Any, id: str) -> dict[str, Any] | None:
        found = self.ctx.state.shopify.fulfillment_orders.get(parse_gid(id, "FulfillmentOrder") or -1)
        return self.nodes.fulfillment_order(found) if found else None

    def fulfillment(self, info: Any, id: str) -> dict[str, Any] | None:
        found = self.ctx.state.shopify.fulfillments.get(parse_gid(id, "Fulfillment") or -1)
        return self.nodes.fulfillment(found) if found else None

    def orders(self, info: Any, **args: Any) -> dict[str, Any]:
        terms = search_terms(args.get("query"))
        sort_field = {"UPDATED_AT": "updated_at", "CREATED_AT": "created_at", "PROCESSED_AT": "processed_at"}
        field = sort_field.get(args.get("sortKey", "ID"))
        matches = [o for o in self.ctx.state.shopify.orders.values() if order_matches(self.ctx, o, terms)]
        matches.sort(key=lambda o: (parse_time(o[field], self.ctx.tz), o["id"]) if field else (o["id"],))
        if args.get("reverse"):
            matches.reverse()
        return connection([(o["id"], self.nodes.order(o)) for o in matches], args)

    def inventoryItems(self, info: Any, first: int | None = None, after: str | None = None,
                       query: str | None = None) -> dict[str, Any]:  # fmt: skip
        """Items by ascending id; a `sku:` search reads the SKU index, a page is a bisect and a slice."""
        if first is None:
            raise graphql.GraphQLError("you must provide one of first or last")
        if not 0 <= first <= MAX_PAGE:
            raise graphql.GraphQLError(f"The maximum page size is {MAX_PAGE}, and it must not be negative")
        items = self.ctx.state.shopify.inventory_items
        groups = sku_search(query)
        if groups is None:
            ids = items.ids
        else:
            found: set[int] = set()
            for group in groups:
                matches = set(items.ids_for_sku(group[0]))
                for sku in group[1:]:
                    matches &= set(items.ids_for_sku(sku))
                found |= matches
            ids = sorted(found)
        last_id = _after(after)
        if last_id is not None and not isinstance(last_id, int):
            raise graphql.GraphQLError(f"Invalid cursor for current pagination sort: {after}")
        start = 0 if last_id is None else bisect.bisect_right(ids, last_id)
        page = [(item_id, self.nodes.inventory_item(items[item_id])) for item_id in ids[start : start + first]]
        return {
            "nodes": [node for _, node in page],
            "edges": [{"cursor": _cursor(key), "node": node} for key, node in page],
            "pageInfo": {
                "hasNextPage": start + len(page) < len(ids),
                "hasPreviousPage": start > 0,
                "startCursor": _cursor(page[0][0]) if page else None,
                "endCursor": _cursor(page[-1][0]) if page else None,
            },
        }

    def fulfillmentCreate(self, info: Any, fulfillment: dict[str, Any], message: str | None = None) -> Any:
        groups = []
        for index, group in enumerate(fulfillment["lineItemsByFulfillmentOrder"]):
            fo_id = parse_gid(group["fulfillmentOrderId"], "FulfillmentOrder")
            if fo_id is None:
                field = ["fulfillment", "lineItemsByFulfillmentOrder", str(index), "fulfillmentOrderId"]
                return {"fulfillment": None, "userErrors": [{"field": field, "message": "invalid id"}]}
            wanted = group.get("fulfillmentOrderLineItems")
            items = None if wanted is None else [
                {"id": parse_gid(item["id"], "FulfillmentOrderLineItem"), "quantity": item["quantity"]}
                for item in wanted
            ]  # fmt: skip
            groups.append({"fulfillment_order_id": fo_id, "fulfillment_order_line_items": items})
            if items is None:
                del groups[-1]["fulfillment_order_line_items"]
        tracking = fulfillment.get("trackingInfo") or {}
        rest_tracking = {"company": tracking.get("company"), "number": tracking.get("number") or
                         next(iter(tracking.get("numbers") or []), None), "url": tracking.get("url")}  # fmt: skip
        try:
            created, order = fulfil(self.ctx, groups, rest_tracking, bool(fulfillment.get("notifyCustomer")))
        except VendorError as exc:
            return {"fulfillment": None, "userErrors": _user_errors(exc, ["fulfillment"])}
        return {"fulfillment": self.nodes.fulfillment(created, order), "userErrors": []}

    def fulfillmentEventCreate(self, info: Any, fulfillmentEvent: dict[str, Any]) -> Any:
        spec = fulfillmentEvent
        status = spec["status"].lower()
        if status not in event_statuses_for(self.version, self.ctx.config.event_statuses):
            error = {"field": ["fulfillmentEvent", "status"], "message": f"Status {spec['status']} is not supported"}
            return {"fulfillmentEvent": None, "userErrors": [error]}
        with self.ctx.state.lock:
            found = self.ctx.state.shopify.fulfillments.get(parse_gid(spec["fulfillmentId"], "Fulfillment") or -1)
            if found is None:
                error = {"field": ["fulfillmentEvent", "fulfillmentId"], "message": "Fulfillment does not exist."}
                return {"fulfillmentEvent": None, "userErrors": [error]}
            details = {"status": status, "message": spec.get("message"), "happened_at": spec.get("happenedAt"),
                       "estimated_delivery_at": spec.get("estimatedDeliveryAt"),
                       **{key: spec.get(key) for key in ("address1", "city", "province", "country", "zip",
                                                         "latitude", "longitude")}}  # fmt: skip
            event = add_fulfillment_event(self.ctx, found, details)
        self.ctx.emit("fulfillment_events/create", event)
        return {"fulfillmentEvent": self.nodes.event(event), "userErrors": []}

    def inventorySetQuantities(self, info: Any, input: dict[str, Any]) -> Any:
        data, problems, changes = self.ctx.state.shopify, [], []

        def problem(code: str, message: str, *field: str) -> None:
            problems.append({"code": code, "field": ["input", *field], "message": message})

        if input["name"] != "available":
            problem("INVALID_NAME", "The quantity name must be 'available' in this sandbox.", "name")
        if input["reason"] not in SET_REASONS:
            problem("INVALID_REASON", "The quantity couldn't be set because the reason isn't valid.", "reason")
        with self.ctx.state.lock:
            for index, quantity in enumerate(input["quantities"]):
                where = ("quantities", str(index))
                item_id = parse_gid(quantity["inventoryItemId"], "InventoryItem")
                location_id = parse_gid(quantity["locationId"], "Location")
                current = data.inventory_levels.get((item_id, location_id), {}).get("available", 0)
                if item_id not in data.inventory_items:
                    problem("INVALID_INVENTORY_ITEM", "The specified inventory item could not be found.", *where)
                elif location_id not in data.locations:
                    problem("INVALID_LOCATION", "The specified location could not be found.", *where)
                elif not input.get("ignoreCompareQuantity") and quantity.get("compareQuantity") is None:
                    problem("COMPARE_QUANTITY_REQUIRED", "A compareQuantity is required (or ignoreCompareQuantity).",
                            *where, "compareQuantity")  # fmt: skip
                elif not input.get("ignoreCompareQuantity") and quantity["compareQuantity"] != current:
                    problem("COMPARE_QUANTITY_STALE", "The compareQuantity value does not match the stored value.",
                            *where, "compareQuantity")  # fmt: skip
                else:
                    changes.append((item_id, location_id, quantity["quantity"], current))
            if problems:
                return {"inventoryAdjustmentGroup": None, "userErrors": problems}
            levels = [set_available(self.ctx, item, location, value) for item, location, value, _ in changes]
            group_id, stamp = self.ctx.new_id(), self.ctx.ts()
        for level in levels:
            self.ctx.emit("inventory_levels/update", level)
        items = {item: data.inventory_items[item] for item, _, _, _ in changes}

        def changed(info: Any) -> list[dict[str, Any]]:  # built only when the mutation selects `changes`
            return [
                {
                    "name": "available",
                    "delta": value - before,
                    "quantityAfterChange": value,
                    "item": lambda info, item=item: self.nodes.inventory_item(items[item]),
                    "location": lambda info, location=location: self.nodes.location(location),
                }
                for item, location, value, before in changes
            ]

        return {
            "inventoryAdjustmentGroup": {
                "id": gid("InventoryAdjustmentGroup", group_id),
                "createdAt": _utc(self.ctx, stamp),
                "reason": input["reason"],
                "referenceDocumentUri": input.get("referenceDocumentUri"),
                "changes": changed,
            },
            "userErrors": [],
        }


# --- cost ---------------------------------------------------------------------------------------------------
def query_cost(
    schema: graphql.GraphQLSchema, operation: graphql.OperationDefinitionNode, variables: dict[str, Any],
    data: dict[str, Any] | None = None,
) -> int:  # fmt: skip
    """The requested cost (`data` None: connections at their full `first`/`last`) or the actual cost (`data`: the
    nodes that came back)."""
    if operation.operation == graphql.OperationType.MUTATION:
        return MUTATION_COST * len(operation.selection_set.selections)
    root = schema.query_type
    assert root is not None
    return _cost(operation.selection_set, root, variables, data, requested=data is None)


def _cost(
    selection_set: graphql.SelectionSetNode | None, parent: graphql.GraphQLObjectType, variables: dict[str, Any],
    data: Any, requested: bool,
) -> int:  # fmt: skip
    if selection_set is None:
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, graphql.InlineFragmentNode):
            total += _cost(selection.selection_set, parent, variables, data, requested)
            continue
        if not isinstance(selection, graphql.FieldNode) or selection.name.value not in parent.fields:
            continue
        field_type = graphql.get_named_type(parent.fields[selection.name.value].type)
        if not isinstance(field_type, graphql.GraphQLObjectType) or field_type.name in FREE_TYPES:
            continue
        key = selection.alias.value if selection.alias else selection.name.value
        value = data.get(key) if isinstance(data, dict) else None
        size = _page_size(selection, variables)
        if size is None:
            if requested:
                items = [None] * _listed(selection, variables)
            elif value is not None:
                items = value if isinstance(value, list) else [value]
            else:
                continue
            total += sum(OBJECT_COST + _cost(selection.selection_set, field_type, variables, item, requested)
                         for item in items)  # fmt: skip
            continue
        total += CONNECTION_COST + _connection_cost(selection, field_type, variables, value, size, requested)
    return total


def _connection_cost(
    selection: graphql.FieldNode, field_type: graphql.GraphQLObjectType, variables: dict[str, Any], value: Any,
    size: int, requested: bool,
) -> int:  # fmt: skip
    """Each node costs 1 plus its selection; a list with `first` is its own node type."""
    if not field_type.name.endswith("Connection"):
        items = value if isinstance(value, list) else []
        count = size if requested else len(items)
        each = [None] * count if requested else items
        return sum(OBJECT_COST + _cost(selection.selection_set, field_type, variables, item, requested)
                   for item in each)  # fmt: skip
    node_type = graphql.get_named_type(field_type.fields["nodes"].type)
    assert isinstance(node_type, graphql.GraphQLObjectType)
    node_selections: list[tuple[graphql.SelectionSetNode | None, list[Any]]] = []
    for sub in selection.selection_set.selections if selection.selection_set else ():
        if not isinstance(sub, graphql.FieldNode):
            continue
        key = sub.alias.value if sub.alias else sub.name.value
        found = value.get(key) if isinstance(value, dict) else None
        if sub.name.value == "nodes":
            node_selections.append((sub.selection_set, found or []))
        elif sub.name.value == "edges" and sub.selection_set:
            for inner in sub.selection_set.selections:
                if isinstance(inner, graphql.FieldNode) and inner.name.value == "node":
                    inner_key = inner.alias.value if inner.alias else "node"
                    node_selections.append((inner.selection_set, [edge.get(inner_key) for edge in found or []]))
    if not node_selections:
        return 0
    total = 0
    for node_selection, items in node_selections:
        each = [None] * size if requested else items
        total += sum(OBJECT_COST + _cost(node_selection, node_type, variables, item, requested) for item in each)
    return total


def _listed(field: graphql.FieldNode, variables: dict[str, Any]) -> int:
    """Objects a field without `first`/`last` is expected to return: one per element of the list it is given
    (`quantities(names: [...])`), else one."""
    for argument in field.arguments or ():
        value = graphql.value_from_ast_untyped(argument.value, variables)
        if isinstance(value, list):
            return max(1, len(value))
    return 1


def oversized_inputs(
    schema: graphql.GraphQLSchema, operation: graphql.OperationDefinitionNode, variables: dict[str, Any]
) -> list[dict[str, Any]]:
    """Shopify's MAX_INPUT_SIZE_EXCEEDED errors for every input array of a root field longer than 250."""
    root = schema.mutation_type if operation.operation == graphql.OperationType.MUTATION else schema.query_type
    coerced = get_variable_values(schema, operation.variable_definitions or [], variables)
    if root is None or isinstance(coerced, list):  # invalid variables: execution reports them
        return []
    problems = []
    for node in operation.selection_set.selections:
        if not isinstance(node, graphql.FieldNode) or node.name.value not in root.fields:
            continue
        try:
            arguments = get_argument_values(root.fields[node.name.value], node, coerced)
        except graphql.GraphQLError:
            continue
        where = node.loc.source.get_location(node.loc.start) if node.loc else None
        for path, size in _long_arrays(arguments, [node.name.value]):
            problem: dict[str, Any] = {
                "message": f"The input array size of {size} is greater than the maximum allowed of {MAX_INPUT_ARRAY}."
            }
            if where is not None:
                problem["locations"] = [{"line": where.line, "column": where.column}]
            problem.update(path=path, extensions={"code": "MAX_INPUT_SIZE_EXCEEDED"})
            problems.append(problem)
    return problems


def _long_arrays(value: Any, path: list[str]) -> Iterable[tuple[list[str], int]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _long_arrays(inner, [*path, key])
    elif isinstance(value, list):
        if len(value) > MAX_INPUT_ARRAY:
            yield path, len(value)
        for index, inner in enumerate(value):
            if isinstance(inner, dict | list):
                yield from _long_arrays(inner, [*path, str(index)])


def _page_size(field: graphql.FieldNode, variables: dict[str, Any]) -> int | None:
    for argument in field.arguments or ():
        if argument.name.value in ("first", "last"):
            value = graphql.value_from_ast_untyped(argument.value, variables)
            return value if isinstance(value, int) else None
    return None


# --- endpoint -----------------------------------------------------------------------------------------------
def _error(message: str, code: str | None = None, **extensions: Any) -> dict[str, Any]:
    error: dict[str, Any] = {"message": message}
    if code:
        error["extensions"] = {"code": code, **extensions,
                               "documentation": "https://shopify.dev/api/usage/rate-limits"}  # fmt: skip
    return error


def graphql_router(ctx: ShopifyContext) -> APIRouter:
    """Mounted under `/admin/api/{version}` next to the REST routers."""
    router = APIRouter()
    config = ctx.config

    def bucket() -> CostBucket:
        throttle = ctx.state.shopify.throttle  # replaced on reset: the bucket goes with it
        key = (COST_SCOPE, config.shop_domain)
        if key not in throttle.limits:
            throttle.limits[key] = CostBucket(config.graphql_bucket_size, config.graphql_restore_rate, time.monotonic)
        found = throttle.limits[key]
        assert isinstance(found, CostBucket)
        return found

    @router.post("/graphql.json")
    async def execute(version: str, request: Request) -> JSONResponse:
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            return JSONResponse({"errors": [_error("Invalid JSON in request body")]}, status_code=400)
        query, variables = body.get("query"), body.get("variables") or {}
        if not isinstance(query, str) or not isinstance(variables, dict):
            return JSONResponse({"errors": [_error("Parameter Missing or Invalid: query")]}, status_code=400)
        try:
            document = graphql.parse(query)
        except graphql.GraphQLError as exc:
            return JSONResponse({"errors": [exc.formatted]})
        problems = graphql.validate(SCHEMA, document)
        if problems:
            return JSONResponse({"errors": [problem.formatted for problem in problems]})
        operation = graphql.get_operation_ast(document, body.get("operationName"))
        if operation is None:
            return JSONResponse({"errors": [_error("An operation name is required when there are several")]})
        oversized = oversized_inputs(SCHEMA, operation, variables)
        if oversized:
            return JSONResponse({"errors": oversized})
        requested = query_cost(SCHEMA, operation, variables)
        if requested > config.graphql_max_query_cost:
            message = f"Query cost is {requested}, which exceeds the single query max cost limit " \
                      f"({config.graphql_max_query_cost})."  # fmt: skip
            extensions = {"cost": requested, "maxCost": config.graphql_max_query_cost}
            return JSONResponse({"errors": [_error(message, "MAX_COST_EXCEEDED", **extensions)]})
        with ctx.state.lock:
            limit = bucket()
            if not limit.spend(requested):
                clients = ctx.state.shopify.throttle.rate_limited_by
                clients[config.shop_domain] = clients.get(config.shop_domain, 0) + 1
                cost = {"requestedQueryCost": requested, "actualQueryCost": None, "throttleStatus": limit.status()}
                return JSONResponse({"errors": [_error("Throttled", "THROTTLED")], "extensions": {"cost": cost}})
            result = graphql.execute(
                SCHEMA, document, root_value=Root(ctx, version), variable_values=variables,
                operation_name=body.get("operationName"),
            )  # fmt: skip
            assert not isinstance(result, Awaitable)  # every resolver is synchronous
            actual = query_cost(SCHEMA, operation, variables, result.data or {})
            if operation.operation == graphql.OperationType.MUTATION:
                actual = requested
            limit.refund(requested - actual)
            cost = {"requestedQueryCost": requested, "actualQueryCost": actual, "throttleStatus": limit.status()}
        answer: dict[str, Any] = {"data": result.data}
        if result.errors:
            answer["errors"] = [error.formatted for error in result.errors]
        answer["extensions"] = {"cost": cost}
        return JSONResponse(answer)

    return router
