"""`AppActionOperator` and `AppSearchOperator` in real DAG runs (`dag.test()`) against the sandboxes: XCom, typed
errors as Airflow outcomes (fail without retry; a 429 retried after its `Retry-After`), a search finding nothing."""

from __future__ import annotations

import datetime as dt
import itertools
import runpy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from airflow.models.taskinstance import TaskInstance
from airflow.models.taskinstancehistory import TaskInstanceHistory
from airflow.models.xcom import XComModel
from airflow.sdk import DAG
from airflow.utils.session import create_session
from sqlalchemy import select

from connectors.hooks.app import AppHook
from connectors.operators.app_operators import (
    AppActionOperator,
    AppRetryableError,
    AppRetryPolicy,
    AppSearchOperator,
    without_secrets,
)
from connectors.runtime.redaction import register_secret
from tests.unit.sandbox.fixtures import Sandbox

pytestmark = pytest.mark.usefixtures("airflow_db")

EXAMPLES = Path(__file__).resolve().parents[2] / "include" / "examples"
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
_dag_ids = itertools.count(1)


def write_to_db(dag: DAG) -> None:
    """What the DAG processor does for a file in the dags-folder bundle: `dag.test()` runs serialized DAGs only."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.collection import update_dag_parsing_results_in_db
    from airflow.serialization.serialized_objects import LazyDeserializedDAG

    with create_session() as session:
        DagBundlesManager().sync_bundles_to_db(session=session)
        session.commit()
        update_dag_parsing_results_in_db(
            "dags-folder", None, [LazyDeserializedDAG.from_dag(dag)], {}, None, set(), session=session
        )


def run_dag(build: Callable[[], Any], **test_kwargs: Any) -> tuple[str, str, Any]:
    """Build the tasks in a fresh DAG and run it with `dag.test()`: (dag_id, run_id, state)."""
    dag_id = f"test_app_operators_{next(_dag_ids)}_{dt.datetime.now().strftime('%H%M%S%f')}"
    with DAG(dag_id, schedule=None, start_date=START, catchup=False) as dag:
        build()
    write_to_db(dag)
    dag_run = dag.test(**test_kwargs)
    return dag_id, dag_run.run_id, dag_run.state


def task_instance(dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> TaskInstance:
    with create_session() as session:
        ti = session.scalars(
            select(TaskInstance).where(
                TaskInstance.dag_id == dag_id,
                TaskInstance.run_id == run_id,
                TaskInstance.task_id == task_id,
                TaskInstance.map_index == map_index,
            )
        ).one()
        session.expunge(ti)
        return ti


def history(dag_id: str, run_id: str, task_id: str) -> list[TaskInstanceHistory]:
    with create_session() as session:
        rows = session.scalars(
            select(TaskInstanceHistory)
            .where(
                TaskInstanceHistory.dag_id == dag_id,
                TaskInstanceHistory.run_id == run_id,
                TaskInstanceHistory.task_id == task_id,
            )
            .order_by(TaskInstanceHistory.try_number)
        ).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


def xcoms(dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> dict[str, Any]:
    """The XComs one task instance pushed, by key."""
    with create_session() as session:
        rows = session.scalars(
            select(XComModel).where(
                XComModel.dag_id == dag_id,
                XComModel.run_id == run_id,
                XComModel.task_id == task_id,
                XComModel.map_index == map_index,
            )
        ).all()
        return {row.key: XComModel.deserialize_value(row) for row in rows}


def shopify_order(sandbox: Sandbox) -> tuple[dict[str, Any], dict[str, Any]]:
    created = sandbox.control("shopify", "/orders", {"sku": "ESB-TEE-RED-M", "quantity": 1, "price": "499.00"})
    return created["order"], created["fulfillment_order"]


def test_an_action_succeeds_and_pushes_only_its_declared_output(sandbox: Sandbox, demo: dict[str, int]) -> None:
    order, fulfillment_order = shopify_order(sandbox)

    def build() -> None:
        AppActionOperator(
            task_id="fulfil",
            app="shopify@2.0.0",
            conn_id="demo_shopify",
            action="create_fulfillment",
            inputs={  # Airflow renders these; the app's own templates render the request from them
                "order_id": "{{ dag_run.conf['order_id'] }}",
                "fulfillment_order_id": fulfillment_order["id"],
                "tracking_number": "AWB-{{ dag_run.conf['order_id'] }}",
                "tracking_company": "Delhivery",
            },
        )

    dag_id, run_id, state = run_dag(build, run_conf={"order_id": order["id"]})
    assert state == "success"
    pushed = xcoms(dag_id, run_id, "fulfil")
    (fulfillment,) = [f for f in sandbox.control("shopify", "/state", method="GET")["fulfillments"]
                      if f["order_id"] == order["id"]]  # fmt: skip
    assert fulfillment["tracking_number"] == f"AWB-{order['id']}"
    assert pushed == {
        "return_value": {"id": fulfillment["id"], "status": fulfillment["status"]},
        "outcome": "succeeded",
    }
    assert task_instance(dag_id, run_id, "fulfil").try_number == 1


def test_a_permanent_error_fails_at_once_without_retry(sandbox: Sandbox, demo: dict[str, int]) -> None:
    def build() -> None:
        AppActionOperator(
            task_id="mark",
            app="eshopbox@1.0.0",
            conn_id="demo_eshopbox",
            action="mark_shipment_status",
            inputs={"shipment_id": "NO-SUCH-SHIPMENT", "status": "packed"},
            retries=3,
            retry_delay=dt.timedelta(0),
        )

    dag_id, run_id, state = run_dag(build)
    assert state == "failed"
    ti = task_instance(dag_id, run_id, "mark")
    assert (ti.state, ti.try_number) == ("failed", 1)  # 3 retries allowed, none used
    assert history(dag_id, run_id, "mark") == []


def test_a_429_is_retried_by_airflow_after_its_retry_after(sandbox: Sandbox, demo: dict[str, int]) -> None:
    # every attempt the runtime makes inside the call (eshopbox@1.0.0: 5) is refused, so the task fails its first
    # try with the app's Retry-After; the second try finds the fault spent
    wait = 2.0
    attempts = AppHook("eshopbox@1.0.0", "demo_eshopbox").spec.retry.max_attempts
    fault = {
        "mode": "rate_limited",
        "retry_after": wait,
        "requests": attempts,
        "method": "GET",
        "path": "/wms/api/order",
    }
    sandbox.control("eshopbox", "/faults", fault)

    def build() -> None:
        AppSearchOperator(
            task_id="find",
            app="eshopbox@1.0.0",
            conn_id="demo_eshopbox",
            search="find_order",
            inputs={"customer_order_number": "RL-1"},
            retries=2,
            retry_delay=dt.timedelta(0),  # without the app's Retry-After the retry would start at once
        )

    dag_id, run_id, state = run_dag(build)
    assert state == "success"
    ti = task_instance(dag_id, run_id, "find")
    assert ti.try_number == 2
    (first,) = history(dag_id, run_id, "find")
    assert first.retry_reason == "the app asked to wait 2s (Retry-After)"
    assert first.retry_delay_override == wait
    assert (ti.start_date - first.end_date).total_seconds() >= wait
    assert sandbox.control("eshopbox", "/faults", method="GET")["faults"][0]["served"] == attempts
    assert xcoms(dag_id, run_id, "find") == {"outcome": "not_found"}


def test_a_search_that_finds_nothing_returns_none_or_fails_when_asked(sandbox: Sandbox, demo: dict[str, int]) -> None:
    def build() -> None:
        for task_id, fail in (("lenient", False), ("strict", True)):
            AppSearchOperator(
                task_id=task_id,
                app="eshopbox@1.0.0",
                conn_id="demo_eshopbox",
                search="find_order",
                inputs={"customer_order_number": "NOT-THERE"},
                fail_when_not_found=fail,
                retries=2,
                retry_delay=dt.timedelta(0),
            )

    dag_id, run_id, state = run_dag(build)
    assert state == "failed"
    assert task_instance(dag_id, run_id, "lenient").state == "success"
    assert xcoms(dag_id, run_id, "lenient") == {"outcome": "not_found"}  # None is not stored as an XCom
    strict = task_instance(dag_id, run_id, "strict")
    assert (strict.state, strict.try_number) == ("failed", 1)


def test_a_search_that_finds_pushes_the_match(sandbox: Sandbox, demo: dict[str, int]) -> None:
    order, _ = shopify_order(sandbox)
    hook = AppHook("eshopbox@1.0.0", "demo_eshopbox")
    created = hook.run_action("create_order", eshopbox_inputs(order), idempotency_key="test-find")
    assert created.outcome == "succeeded"

    def build() -> None:
        AppSearchOperator(
            task_id="find",
            app="eshopbox@1.0.0",
            conn_id="demo_eshopbox",
            search="find_order",
            inputs={"customer_order_number": str(order["id"])},
            fail_when_not_found=True,
        )

    dag_id, run_id, state = run_dag(build)
    assert state == "success"
    pushed = xcoms(dag_id, run_id, "find")
    assert pushed["outcome"] == "found"
    assert pushed["return_value"]["customerOrderNumber"] == str(order["id"])
    assert hook.run_search("find_order", {"customer_order_number": str(order["id"])}).outcome == "found"


def eshopbox_inputs(order: dict[str, Any]) -> dict[str, Any]:
    example = runpy.run_path(str(EXAMPLES / "nightly_order_reconciliation.py"))
    return example["eshopbox_order"](order)


def test_the_retry_policy_waits_at_least_retry_after_and_the_task_delay() -> None:
    policy = AppRetryPolicy()

    class Task:
        retry_delay = dt.timedelta(seconds=30)

    decision = policy.evaluate(AppRetryableError("429", retry_after=90), 1, 3, {"task": Task()})  # type: ignore[arg-type]
    assert (decision.action.value, decision.retry_delay) == ("retry", dt.timedelta(seconds=90))
    decision = policy.evaluate(AppRetryableError("429", retry_after=5), 1, 3, {"task": Task()})  # type: ignore[arg-type]
    assert decision.retry_delay == dt.timedelta(seconds=30)
    assert policy.evaluate(AppRetryableError("503"), 1, 3, None).action.value == "default"
    assert policy.evaluate(ValueError("x"), 1, 3, None).action.value == "default"


def test_secrets_never_reach_xcom() -> None:
    register_secret("an-echoed-access-token-123")
    echoed = {"headers": {"X-Token": "an-echoed-access-token-123"}, "note": ["Bearer an-echoed-access-token-123"]}
    assert without_secrets(echoed) == {"headers": {"X-Token": "***"}, "note": ["Bearer ***"]}


def test_the_providers_page_lists_the_operators_and_hooks() -> None:
    from airflow.providers_manager import ProvidersManager

    provider = ProvidersManager().providers["eshopbox-integrations"]
    assert provider.data["operators"] == [
        {"integration-name": "Eshopbox integrations", "python-modules": ["connectors.operators.app_operators"]}
    ]
    hooks = {module for entry in provider.data["hooks"] for module in entry["python-modules"]}
    assert {"connectors.hooks.app", "connectors.hooks.app_types"} <= hooks
    assert provider.version == provider.data["versions"][0]
