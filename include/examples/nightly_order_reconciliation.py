"""Nightly reconciliation: every Shopify order created or updated in the run's data interval exists in Eshopbox;
the missing ones are created.

The `shopify_order_to_eshopbox` workflow creates orders as their webhooks arrive; a webhook lost on the way (an
outage longer than Shopify's retries, a subscription deleted by mistake) leaves an order behind. This DAG is the safety
net, written by hand with the provider's hook and operators (docs/provider.md):

1. `shopify_orders`: the orders Shopify's `orders_updated` polling trigger returns for the data interval (the hook
   pages through them), shaped as Eshopbox `create_order` inputs;
2. `find_in_eshopbox`: Eshopbox's `find_order` search for each (a mapped `AppSearchOperator`);
3. `missing_orders`: the orders the search did not find (its `outcome` XCom is `not_found`);
4. `create_missing`: Eshopbox's `create_order` for each of them (a mapped `AppActionOperator`). The action itself
   searches first (find-or-create) and every retry of a task instance sends the same idempotency key, so a rerun or
   a backfill never creates an order twice.

The schedule is a data-interval timetable (02:00 IST, covering the previous day), so runs are backfillable:
`airflow backfill create --dag-id nightly_order_reconciliation --from-date ... --to-date ...`.

Not in `dags/`: the platform's DAG processor does not parse it unless asked (docs/provider.md, "Example DAGs").
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum
from airflow.sdk import dag, task
from airflow.timetables.interval import CronDataIntervalTimetable

from connectors.operators.app_operators import AppActionOperator, AppSearchOperator

SHOPIFY, SHOPIFY_CONN = "shopify@2.0.0", "demo_shopify"
ESHOPBOX, ESHOPBOX_CONN = "eshopbox@1.0.0", "demo_eshopbox"


def eshopbox_order(order: dict[str, Any]) -> dict[str, Any]:
    """A Shopify order as Eshopbox `create_order` inputs (the mapping of the `shopify_order_to_eshopbox` workflow)."""
    address = order.get("shipping_address") or {}
    pending = order.get("financial_status") == "pending"
    return {
        "customer_order_number": str(order["id"]),
        "order_date": str(order["created_at"])[:19].replace("T", " "),
        "is_cod": pending,
        "payment_type": "COD" if pending else "Prepaid",
        "subtotal": float(order["subtotal_price"]),
        "tax_amount": float(order.get("total_tax") or 0),
        "order_total": float(order["total_price"]),
        "shipping_address": {
            "customerName": address.get("name"),
            "addressLine1": address.get("address1"),
            "city": address.get("city"),
            "state": address.get("province"),
            "postalCode": address.get("zip"),
            "contactPhone": address.get("phone"),
            "email": order.get("email"),
        },
        "items": [
            {
                "lineItemSequenceNumber": index,
                "itemID": line["sku"],
                "productName": line.get("title"),
                "quantity": line["quantity"],
                "customerPrice": float(line["price"]),
                "discount": 0,
                "lineItemTotal": float(line["price"]) * line["quantity"],
            }
            for index, line in enumerate(order.get("line_items") or [])
        ],
    }


@dag(
    schedule=CronDataIntervalTimetable("0 2 * * *", timezone=pendulum.timezone("Asia/Kolkata")),
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Kolkata"),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 3, "retry_delay": dt.timedelta(minutes=1)},
    tags=["example", "shopify", "eshopbox"],
)
def nightly_order_reconciliation() -> None:
    @task
    def shopify_orders(data_interval_start: Any = None, data_interval_end: Any = None) -> list[dict[str, Any]]:
        from connectors.hooks.app import AppHook

        orders = AppHook(SHOPIFY, SHOPIFY_CONN).poll("orders_updated", data_interval_start, data_interval_end)
        unique = {order["id"]: order for order in orders}  # windows overlap by the trigger's overlap_seconds
        return [eshopbox_order(order) for _, order in sorted(unique.items())]

    @task
    def order_numbers(orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"customer_order_number": order["customer_order_number"]} for order in orders]

    @task
    def missing_orders(orders: list[dict[str, Any]], outcomes: list[str]) -> list[dict[str, Any]]:
        # the `outcome` XCom of each mapped search, in map index order ("found" / "not_found"); the return
        # value cannot be zipped: a search that finds nothing returns None, and Airflow stores no XCom for None
        return [order for order, outcome in zip(orders, outcomes, strict=True) if outcome == "not_found"]

    orders = shopify_orders()
    found = AppSearchOperator.partial(
        task_id="find_in_eshopbox", app=ESHOPBOX, conn_id=ESHOPBOX_CONN, search="find_order"
    ).expand(inputs=order_numbers(orders))
    AppActionOperator.partial(
        task_id="create_missing", app=ESHOPBOX, conn_id=ESHOPBOX_CONN, action="create_order"
    ).expand(inputs=missing_orders(orders, found.output["outcome"]))


nightly_order_reconciliation()
