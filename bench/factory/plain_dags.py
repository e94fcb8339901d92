"""Airflow DAG file for the benchmark's baseline: a plain Python loop that builds the same DAGs as the factory
builds for the benchmark's registry rows (same ids, arguments, doc_md and `connectors.operators` classes), with no
database query and no row objects. `BENCH_ROWS` says how many; `bench_factory.py` checks that both files
serialize to identical DAGs.
"""

from __future__ import annotations

import datetime as dt
import os

from airflow.sdk import DAG, CronDataIntervalTimetable

from connectors.operators.polling import PollOperator
from connectors.operators.workflow import ProcessEventsOperator

ROWS = int(os.environ.get("BENCH_ROWS", "100"))
DEFAULT_ARGS = {
    "owner": "integrations",
    "retries": 3,
    "retry_delay": dt.timedelta(seconds=30),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": dt.timedelta(minutes=30),
}
WEBHOOK_DOC = """### Eshopbox shipment packed → Shopify fulfillment with tracking



**Trigger**: `eshopbox@1.0.0` shipment_updated

**Conditions**: `status equals 'packed'`

**Steps**:
1. search `shopify@1.0.0` find_fulfillment_orders (connection `{client}_shopify`)
2. action `shopify@1.0.0` create_fulfillment (connection `{client}_shopify`)

Workflow {id}, revision 1."""
POLLING_DOC = """### Eshopbox stock changed → Shopify available inventory



**Trigger**: `eshopbox@1.0.0` inventory_changed
(polling `@hourly`; each run polls its data interval, so backfills re-sync a period)

**Conditions**: none

**Steps**:
1. action `shopify@3.0.0` set_inventory_levels (connection `{client}_shopify`)

Workflow {id}, revision 1."""


def build(i: int) -> DAG:
    workflow_id, client, polling = i + 1, f"client{i // 10:03d}", i % 5 == 4
    if polling:
        dag = DAG(
            dag_id=f"wf.{client}.eshopbox_stock_to_shopify_{i:05d}",
            description="Eshopbox stock changed → Shopify available inventory",
            doc_md=POLLING_DOC.format(client=client, id=workflow_id),
            schedule=CronDataIntervalTimetable("@hourly", timezone="UTC"),
            start_date=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
            catchup=False,
            tags=[f"client:{client}", "app:eshopbox", "app:shopify"],
            default_args=DEFAULT_ARGS,
            max_active_runs=1,
        )
        with dag:
            PollOperator(task_id="poll", workflow_id=workflow_id) >> ProcessEventsOperator(
                task_id="process_events", workflow_id=workflow_id, time_budget_seconds=None
            )
    else:
        dag = DAG(
            dag_id=f"wf.{client}.eshopbox_packed_to_shopify_fulfillment_{i:05d}",
            description="Eshopbox shipment packed → Shopify fulfillment with tracking",
            doc_md=WEBHOOK_DOC.format(client=client, id=workflow_id),
            schedule=None,
            start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            catchup=False,
            tags=[f"client:{client}", "app:eshopbox", "app:shopify"],
            default_args=DEFAULT_ARGS,
            max_active_runs=4,
        )
        with dag:
            ProcessEventsOperator(task_id="process_events", workflow_id=workflow_id, time_budget_seconds=600.0)
    return dag


globals().update((dag.dag_id, dag) for dag in map(build, range(ROWS)))
