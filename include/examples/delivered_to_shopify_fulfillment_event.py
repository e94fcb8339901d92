"""Wait until Delhivery delivers a shipment, then tell Shopify: a "delivered" event on the order's fulfillment.

Triggered per shipment (`airflow dags trigger delivered_to_shopify_fulfillment_event --conf '{"order_id": 1001,
"awb": "1234567890123"}'`, or the REST API's `POST /api/v2/dags/{dag_id}/dagRuns` from another system), written by hand
with the provider's operators and sensor (docs/provider.md):

1. `find_fulfillment`: Shopify's `find_fulfillments` search for the order (`AppSearchOperator`); an order without a
   fulfillment fails here at once, before any waiting.
2. `wait_delivered`: Delhivery's `track_shipment` search for the AWB until its status is `Delivered`
   (`AppTriggerSensor`, deferrable: between checks the wait lives in the triggerer, not in a worker slot). It gives up
   after a week.
3. `post_delivered`: Shopify's `create_fulfillment_event` with status `delivered` and where and when Delhivery
   delivered it, read from the sensor's record (`AppActionOperator`).

The check interval is `DELIVERY_CHECK_SECONDS` in the environment of the DAG processor, the workers and the triggerer
(30 minutes by default; Delhivery throttles tracking to 750 requests per 5 minutes per IP).

Not in `dags/`: the platform's DAG processor does not parse it unless asked (docs/provider.md, "Example DAGs").
"""

from __future__ import annotations

import datetime as dt
import os

import pendulum
from airflow.sdk import DAG, Param

from connectors.operators.app_operators import AppActionOperator, AppSearchOperator
from connectors.operators.sensors import AppTriggerSensor

SHOPIFY, SHOPIFY_CONN = "shopify@2.0.0", "demo_shopify"
DELHIVERY, DELHIVERY_CONN = "delhivery@1.0.0", "demo_delhivery"
CHECK_SECONDS = float(os.environ.get("DELIVERY_CHECK_SECONDS", 1800))
DELIVERED = {"all": [{"field": "Shipment.Status.Status", "operator": "equals", "value": "Delivered"}]}

with DAG(
    "delivered_to_shopify_fulfillment_event",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    params={
        "order_id": Param(type="integer", description="The Shopify order id"),
        "awb": Param(type="string", description="The Delhivery waybill of the order's fulfillment"),
    },
    default_args={"retries": 2, "retry_delay": dt.timedelta(minutes=2)},
    tags=["example", "delhivery", "shopify"],
) as dag:
    find_fulfillment = AppSearchOperator(
        task_id="find_fulfillment",
        app=SHOPIFY,
        conn_id=SHOPIFY_CONN,
        search="find_fulfillments",
        inputs={"order_id": "{{ params.order_id }}"},
        fail_when_not_found=True,
    )
    wait_delivered = AppTriggerSensor(
        task_id="wait_delivered",
        app=DELHIVERY,
        conn_id=DELHIVERY_CONN,
        search="track_shipment",
        inputs={"waybill": "{{ params.awb }}"},
        conditions=DELIVERED,
        poke_interval=CHECK_SECONDS,
        timeout=7 * 24 * 3600,
    )
    post_delivered = AppActionOperator(
        task_id="post_delivered",
        app=SHOPIFY,
        conn_id=SHOPIFY_CONN,
        action="create_fulfillment_event",
        inputs={
            "order_id": "{{ params.order_id }}",
            "fulfillment_id": "{{ ti.xcom_pull(task_ids='find_fulfillment')['id'] }}",
            "status": "delivered",
            "message": "Delivered by Delhivery (AWB {{ params.awb }}) at "
            "{{ ti.xcom_pull(task_ids='wait_delivered')['Shipment']['Status']['StatusLocation'] }}, "
            "{{ ti.xcom_pull(task_ids='wait_delivered')['Shipment']['Status']['StatusDateTime'] }}",
        },
        retries=0,  # Shopify takes no idempotency key for events: a retry after a lost answer would post it twice
    )
    find_fulfillment >> wait_delivered >> post_delivered
