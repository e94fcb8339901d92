"""`AppTriggerSensor` against the sandboxes: waiting for a Delhivery AWB to be Delivered (search `track_shipment`)
in reschedule mode and deferred (`dag.test()` runs the trigger in-process), timing out (failed, or skipped with
`soft_fail`), and a WooCommerce polling trigger; `AppRecordTrigger.run()` driven directly with asyncio.

The deferral through a running triggerer (a real `airflow triggerer` process) belongs to the e2e platform tests."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import pytest
from airflow.sdk import DAG

from connectors.operators.sensors import AppTriggerSensor
from connectors.operators.triggers import CLASSPATH, AppRecordTrigger
from tests.airflow.test_app_operators import write_to_db
from tests.unit.sandbox.fixtures import Sandbox

pytestmark = pytest.mark.usefixtures("airflow_db")

DELIVERED = {"all": [{"field": "Shipment.Status.Status", "operator": "equals", "value": "Delivered"}]}
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def new_waybill(sandbox: Sandbox) -> str:
    awb = f"9{uuid.uuid4().int % 10**12:012d}"
    sandbox.control("delhivery", "/shipments", {"waybill": awb, "reference_no": f"ORD-{awb[-4:]}"})
    return awb


def deliver(sandbox: Sandbox, awb: str) -> None:
    sandbox.control("delhivery", "/scan", {"waybill": awb, "status": "Delivered"})


def registered(dag: DAG) -> DAG:
    """A DAG built in the test, written to Airflow's metadata database as the dag-processor would."""
    write_to_db(dag)
    return dag


def deliver_after_first_check(monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox, awb: str) -> list[bool]:
    """The courier's Delivered scan arrives right after the sensor's first check (which sees Manifested): the
    outcome of every check, wherever it runs (worker or trigger)."""
    from connectors.operators import sensors, triggers

    checks: list[bool] = []
    original = triggers.check_once

    def counting(*args: Any, **kwargs: Any) -> Any:
        found = original(*args, **kwargs)
        checks.append(found.matched)
        if len(checks) == 1:
            deliver(sandbox, awb)
        return found

    monkeypatch.setattr(sensors, "check_once", counting)
    monkeypatch.setattr(triggers, "check_once", counting)
    return checks


def sensor_dag(**sensor: Any) -> DAG:
    sensor = {"app": "delhivery@1.0.0", "conn_id": "demo_delhivery", **sensor}
    with DAG(f"sensor_{uuid.uuid4().hex[:10]}", schedule=None, start_date=START, catchup=False) as dag:
        AppTriggerSensor(task_id="wait", **sensor)
    return registered(dag)


def outcome(dag_run: Any) -> tuple[str, Any]:
    """The sensor's state and its XCom return value."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    ti = dag_run.get_task_instance("wait")
    with create_session() as session:
        row = session.scalar(
            XComModel.get_many(run_id=dag_run.run_id, key="return_value", dag_ids=dag_run.dag_id, task_ids="wait")
        )
        value = XComModel.deserialize_value(row) if row is not None else None
    return str(ti.state), value


def reschedules(dag_run: Any) -> int:
    from airflow.models.taskreschedule import TaskReschedule
    from airflow.utils.session import create_session
    from sqlalchemy import func, select

    ti = dag_run.get_task_instance("wait")
    with create_session() as session:
        return session.scalar(select(func.count()).select_from(TaskReschedule).where(TaskReschedule.ti_id == ti.id))


@pytest.mark.usefixtures("demo")
def test_reschedule_mode_waits_until_the_awb_is_delivered(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    awb = new_waybill(sandbox)
    checks = deliver_after_first_check(monkeypatch, sandbox, awb)
    dag = sensor_dag(search="track_shipment", inputs={"waybill": "{{ params.awb }}"}, conditions=DELIVERED,
                     params={"awb": awb}, deferrable=False, mode="reschedule", poke_interval=1, timeout=60)  # fmt: skip
    dag_run = dag.test()
    state, record = outcome(dag_run)
    assert state == "success"
    assert record["Shipment"]["AWB"] == awb and record["Shipment"]["Status"]["Status"] == "Delivered"
    assert checks == [False, True]  # rescheduled once, matched at the second poke


@pytest.mark.usefixtures("demo")
@pytest.mark.parametrize(("soft_fail", "expected"), [(False, "failed"), (True, "skipped")])
def test_reschedule_mode_times_out(sandbox: Sandbox, soft_fail: bool, expected: str) -> None:
    awb = new_waybill(sandbox)  # stays Manifested
    dag = sensor_dag(search="track_shipment", inputs={"waybill": awb}, conditions=DELIVERED, deferrable=False,
                     mode="reschedule", poke_interval=1, timeout=2, soft_fail=soft_fail, retries=0)  # fmt: skip
    dag_run = dag.test()
    assert outcome(dag_run) == (expected, None)
    assert reschedules(dag_run) >= 1


@pytest.mark.usefixtures("demo")
def test_deferred_sensor_runs_its_trigger_and_returns_the_record(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    awb = new_waybill(sandbox)
    checks = deliver_after_first_check(monkeypatch, sandbox, awb)
    fired: list[dict[str, Any]] = []
    run = AppRecordTrigger.run

    async def recording(self: AppRecordTrigger) -> Any:
        async for event in run(self):
            fired.append(event.payload)
            yield event

    monkeypatch.setattr(AppRecordTrigger, "run", recording)
    dag = sensor_dag(search="track_shipment", inputs={"waybill": awb}, conditions=DELIVERED, poke_interval=1,
                     timeout=60)  # fmt: skip
    dag_run = dag.test()
    state, record = outcome(dag_run)
    assert state == "success"
    assert record["Shipment"]["AWB"] == awb and record["Shipment"]["Status"]["Status"] == "Delivered"
    # the first check (on the worker) saw Manifested and deferred; the trigger's first check matched
    assert checks == [False, True]
    assert [event["status"] for event in fired] == ["success"] and fired[0]["record"] == record


@pytest.mark.usefixtures("demo")
@pytest.mark.parametrize(("soft_fail", "expected"), [(False, "failed"), (True, "skipped")])
def test_deferred_sensor_times_out(sandbox: Sandbox, soft_fail: bool, expected: str) -> None:
    awb = new_waybill(sandbox)
    dag = sensor_dag(search="track_shipment", inputs={"waybill": awb}, conditions=DELIVERED, poke_interval=1,
                     timeout=2, soft_fail=soft_fail, retries=0)  # fmt: skip
    assert outcome(dag.test()) == (expected, None)


@pytest.mark.usefixtures("demo")
def test_already_delivered_matches_at_the_first_check_without_deferring(sandbox: Sandbox) -> None:
    awb = new_waybill(sandbox)
    deliver(sandbox, awb)
    state, record = outcome(sensor_dag(search="track_shipment", inputs={"waybill": awb}, conditions=DELIVERED).test())
    assert state == "success" and record["Shipment"]["Status"]["StatusType"] == "DL"


@pytest.mark.usefixtures("demo")
def test_a_wrong_secret_fails_without_retry(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    monkeypatch.setenv("AIRFLOW_CONN_BAD_DELHIVERY", json.dumps({"conn_type": "integrations_delhivery",
                                                                  "extra": {"api_token": "wrong-token"}}))  # fmt: skip
    dag = sensor_dag(conn_id="bad_delhivery", search="track_shipment", inputs={"waybill": new_waybill(sandbox)},
                     conditions=DELIVERED, retries=3)  # fmt: skip
    dag_run = dag.test()
    assert outcome(dag_run) == ("failed", None)
    assert dag_run.get_task_instance("wait").try_number == 1


@pytest.mark.usefixtures("demo")
def test_polling_trigger_finds_an_order_matching_the_conditions(sandbox: Sandbox) -> None:
    since = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    placed = sandbox.control("woocommerce", "/orders?wait=true", {"sku": "ESB-TEE-RED-M", "quantity": 3})
    order = placed.get("order", placed)
    waiting = ["processing", "pending", "on-hold"]
    conditions = {"all": [{"field": "id", "operator": "equals", "value": order["id"]}],
                  "any": [{"field": "status", "operator": "in", "value": waiting}]}  # fmt: skip
    dag = sensor_dag(app="woocommerce@1.0.0", conn_id="demo_woocommerce", trigger="orders_updated",
                     since=since.isoformat(), conditions=conditions, poke_interval=1, timeout=30)  # fmt: skip
    state, record = outcome(dag.test())
    assert state == "success" and record["id"] == order["id"]


def test_sensor_arguments_are_checked_when_the_dag_is_parsed() -> None:
    with pytest.raises(ValueError, match="exactly one of"):
        AppTriggerSensor(task_id="x", app="delhivery@1.0.0", conn_id="c")
    with pytest.raises(ValueError, match="operator"):
        AppTriggerSensor(task_id="x", app="delhivery@1.0.0", conn_id="c", search="track_shipment",
                         conditions={"all": [{"field": "a", "operator": "is", "value": 1}]})  # fmt: skip


# -- the trigger on its own ---------------------------------------------------------------------------------------


def trigger_for(awb: str, **kwargs: Any) -> AppRecordTrigger:
    return AppRecordTrigger(app="delhivery@1.0.0", conn_id="demo_delhivery", search="track_shipment",
                            inputs={"waybill": awb}, conditions=DELIVERED, poke_interval=0.2, **kwargs)  # fmt: skip


async def first_event(trigger: AppRecordTrigger) -> Any:
    return await asyncio.wait_for(anext(trigger.run()), timeout=30)


def test_trigger_serializes_to_its_classpath_and_round_trips() -> None:
    deadline = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    trigger = trigger_for("123", deadline=deadline)
    classpath, kwargs = trigger.serialize()
    assert classpath == CLASSPATH == f"{AppRecordTrigger.__module__}.{AppRecordTrigger.__name__}"
    from airflow.sdk.serde import deserialize, serialize

    again = AppRecordTrigger(**deserialize(serialize(kwargs)))
    assert again.serialize() == (classpath, kwargs)
    assert kwargs["conditions"] == DELIVERED and kwargs["deadline"] == deadline


@pytest.mark.usefixtures("demo")
def test_trigger_yields_the_record_once_it_matches_without_blocking_the_loop(sandbox: Sandbox) -> None:
    awb = new_waybill(sandbox)

    async def scenario() -> tuple[Any, int]:
        ticks = 0

        async def ticker() -> None:  # other triggers keep running while the app is asked
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        ticking = asyncio.create_task(ticker())
        waiting = asyncio.create_task(first_event(trigger_for(awb)))
        await asyncio.sleep(0.6)
        assert not waiting.done()  # still Manifested
        await asyncio.to_thread(deliver, sandbox, awb)
        event = await waiting
        ticking.cancel()
        return event, ticks

    event, ticks = asyncio.run(scenario())
    assert event.payload["status"] == "success"
    assert event.payload["record"]["Shipment"]["Status"]["Status"] == "Delivered"
    assert event.payload["checks"] >= 2
    assert ticks > 20


@pytest.mark.usefixtures("demo")
def test_trigger_times_out_at_its_deadline(sandbox: Sandbox) -> None:
    deadline = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=0.5)).isoformat()
    event = asyncio.run(first_event(trigger_for(new_waybill(sandbox), deadline=deadline)))
    assert event.payload["status"] == "timeout"


@pytest.mark.usefixtures("demo")
def test_trigger_reports_a_refusal_as_an_error_event(monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    monkeypatch.setenv("AIRFLOW_CONN_BAD_DELHIVERY", json.dumps({"conn_type": "integrations_delhivery",
                                                                  "extra": {"api_token": "wrong-token"}}))  # fmt: skip
    trigger = AppRecordTrigger(app="delhivery@1.0.0", conn_id="bad_delhivery", search="track_shipment",
                               inputs={"waybill": "1"}, conditions=DELIVERED, poke_interval=0.2)  # fmt: skip
    event = asyncio.run(first_event(trigger))
    assert event.payload["status"] == "error"
    assert "wrong-token" not in event.payload["message"]


@pytest.mark.usefixtures("demo")
def test_a_polling_check_reads_only_its_window_and_stops_at_the_first_match(sandbox: Sandbox) -> None:
    from connectors.hooks.app import AppHook
    from connectors.operators.triggers import check_once

    start = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)

    def order(minutes: int, status: str) -> dict[str, Any]:
        updated = (start + dt.timedelta(minutes=minutes)).strftime("%Y-%m-%d %H:%M:%S")
        return sandbox.control("magento", "/orders", {"updated_at": updated, "status": status})["order"]

    before, _, complete = order(-30, "complete"), order(5, "pending"), order(10, "complete")
    client = AppHook("magento@1.0.0", "demo_magento").get_client()
    done = {"all": [{"field": "status", "operator": "equals", "value": "complete"}]}

    def check(minutes: int) -> Any:
        return check_once(client, search=None, trigger="orders_updated", inputs={}, conditions=done, since=start,
                          until=start + dt.timedelta(minutes=minutes))  # fmt: skip

    found = check(15)
    assert found.matched and found.record["increment_id"] == complete["increment_id"] != before["increment_id"]
    assert found.seen == 2  # the pending order did not match; the complete one before the window was not read
    early = check(8)
    assert not early.matched and early.seen == 1 and "was 'pending'" in early.reason


def test_the_matched_record_keeps_only_the_declared_output_fields() -> None:
    from connectors.hooks.app import catalog
    from connectors.operators.triggers import output_fields

    declared = catalog().get("magento@1.1.0").triggers["orders_updated"].output
    record = {name: f"v-{name}" for name in declared} | {"internal_note": "x", "customer_dob": "1990-01-01"}
    assert output_fields(record, declared) == {name: f"v-{name}" for name in declared}
    assert output_fields(record, {}) == record  # nothing declared: the whole record
