"""The dispatcher: it wakes workflows (one run drains many events) through the (fake) Airflow REST API, coalesces
wakes while a woken run has not started, retries through outages and sweeps what waits."""

from __future__ import annotations

import datetime as dt
import json
import logging

from connectors.registry.db import get_engine, session_scope
from connectors.registry.drains import beat, finish_drain, start_drain
from connectors.registry.inbox import NewEvent, claim_events, store_events
from connectors.registry.models import Drain, Event, EventStatus, Workflow, utcnow
from connectors.webhooks.airflow_api import AirflowApi
from connectors.webhooks.dispatcher import Dispatcher, Wake
from tests.unit.webhooks.conftest import (
    ESHOPBOX_ROUTE,
    ESHOPBOX_TOKEN,
    SHOPIFY_DAG,
    SHOPIFY_ROUTE,
    free_port,
    shopify_headers,
    shopify_order,
    wait_for,
)
from tests.unit.webhooks.fake_airflow import FakeAirflow


def post_order(harness, order_id: int = 1) -> int:
    body = shopify_order(order_id)
    response = harness.post(SHOPIFY_ROUTE, body, shopify_headers(body))
    assert response.status_code == 200, response.text
    return response.json()["stored"][0]


def shopify_workflow_id(url: str) -> int:
    with session_scope(url) as session:
        return session.query(Workflow).filter_by(key="shopify_order_to_eshopbox").one().id


def test_a_lone_event_wakes_its_workflow_at_once(start_receiver, fake_airflow):
    harness = start_receiver(fake_airflow)
    event_id = post_order(harness)
    wait_for(lambda: fake_airflow.accepted)
    (run,) = fake_airflow.accepted
    assert run.dag_id == SHOPIFY_DAG
    assert run.body["dag_run_id"].startswith(f"drain__{event_id}__")
    assert run.body["conf"] == {"workflow_id": shopify_workflow_id(harness.db_url), "woken_by_event": event_id}
    assert f"woken by event {event_id}" in run.body["note"]
    assert harness.event(event_id).status == EventStatus.RECEIVED  # the run claims it, not the dispatcher


def test_a_burst_shares_the_run_until_it_finishes(start_receiver, fake_airflow):
    harness = start_receiver(fake_airflow, sweep_interval_seconds=3600)  # only the deliveries wake: no sweeper
    first = post_order(harness, 1)
    wait_for(lambda: len(fake_airflow.accepted) == 1)
    for n in range(2, 12):
        post_order(harness, n)
    wait_for(lambda: harness.receiver.dispatcher.stats["coalesced"] >= 1)
    assert len(fake_airflow.accepted) == 1  # ten more events, no new run: the woken run will claim them

    run_id = fake_airflow.accepted[0].body["dag_run_id"]
    workflow_id = shopify_workflow_id(harness.db_url)
    with get_engine(harness.db_url).begin() as connection:  # the run starts claiming, and goes on draining
        start_drain(connection, run_id, workflow_id, 1)
    coalesced = harness.receiver.dispatcher.stats["coalesced"]
    post_order(harness, 50)
    wait_for(lambda: harness.receiver.dispatcher.stats["coalesced"] > coalesced)
    assert len(fake_airflow.accepted) == 1

    with get_engine(harness.db_url).begin() as connection:  # it finishes: the next event needs a new run
        finish_drain(connection, run_id, {})
    post_order(harness, 99)
    wait_for(lambda: len(fake_airflow.accepted) == 2)
    assert fake_airflow.accepted[1].body["conf"]["woken_by_event"] > first


def store(url: str, workflow_id: int, key: str) -> int:
    with get_engine(url).begin() as connection:
        (stored,) = store_events(connection, [NewEvent(workflow_id, key, b"{}")])
    return stored.event_id


def test_no_event_is_left_without_a_run_whichever_side_of_the_runs_last_claim_it_is_stored(registry, fake_airflow):
    """The dispatcher race, in a fixed order (no thread): the run announces it is finishing before its last claim,
    so an event the dispatcher left to it is claimed, and an event after the announcement wakes a new run."""
    workflow_id = shopify_workflow_id(registry)
    dispatcher = Dispatcher(AirflowApi(fake_airflow.url, "admin", fake_airflow.password), registry, sweep_interval=3600)
    wake = lambda event_id: Wake(workflow_id, SHOPIFY_DAG, event_id, "test")  # noqa: E731
    lease = dt.timedelta(minutes=5)

    first = store(registry, workflow_id, "a")
    dispatcher.submit(wake(first))
    dispatcher.run_once()
    assert len(fake_airflow.accepted) == 1
    run_id = fake_airflow.accepted[0].body["dag_run_id"]

    before_start = store(registry, workflow_id, "b")  # stored while the run is queued
    dispatcher.submit(wake(before_start))
    dispatcher.run_once()
    assert len(fake_airflow.accepted) == 1 and dispatcher.stats["coalesced"] == 1

    engine = get_engine(registry)
    with engine.begin() as connection:  # the run starts: marks itself, then claims
        start_drain(connection, run_id, workflow_id, 1)
        assert [e.id for e in claim_events(connection, workflow_id, run_id, 100, lease)] == [first, before_start]
    with engine.begin() as connection:  # its queue is empty...
        assert claim_events(connection, workflow_id, run_id, 100, lease) == []
    during_drain = store(registry, workflow_id, "c")  # stored just after that claim
    dispatcher.submit(wake(during_drain))
    dispatcher.run_once()  # the dispatcher still sees it draining: left to it
    assert len(fake_airflow.accepted) == 1
    with engine.begin() as connection:  # ...so it says it is finishing, then looks once more, and finds it
        beat(connection, run_id, finishing=True)
    with engine.begin() as connection:
        assert [e.id for e in claim_events(connection, workflow_id, run_id, 100, lease)] == [during_drain]
        beat(connection, run_id, finishing=False)
    with engine.begin() as connection:
        assert claim_events(connection, workflow_id, run_id, 100, lease) == []
        beat(connection, run_id, finishing=True)
    after_finishing = store(registry, workflow_id, "d")
    dispatcher.submit(wake(after_finishing))
    dispatcher.run_once()
    assert len(fake_airflow.accepted) == 2
    assert fake_airflow.accepted[1].body["conf"]["woken_by_event"] == after_finishing


def test_a_draining_run_that_goes_silent_is_replaced(registry, fake_airflow):
    workflow_id = shopify_workflow_id(registry)
    dispatcher = Dispatcher(
        AirflowApi(fake_airflow.url, "admin", fake_airflow.password), registry, sweep_interval=3600, alive_for=60
    )
    event_id = store(registry, workflow_id, "a")
    dispatcher.wake([Wake(workflow_id, SHOPIFY_DAG, event_id, "test")])
    run_id = fake_airflow.accepted[0].body["dag_run_id"]
    with get_engine(registry).begin() as connection:
        start_drain(connection, run_id, workflow_id, 1)
    dispatcher.wake([Wake(workflow_id, SHOPIFY_DAG, event_id, "test")])
    assert len(fake_airflow.accepted) == 1
    with session_scope(registry) as session:  # its process was killed: no heartbeat for two minutes
        session.get_one(Drain, run_id).heartbeat_at = utcnow() - dt.timedelta(minutes=2)
    dispatcher.wake([Wake(workflow_id, SHOPIFY_DAG, event_id, "test")])
    assert len(fake_airflow.accepted) == 2


def test_a_woken_run_that_never_starts_is_replaced_after_a_while(registry, fake_airflow):
    workflow_id = shopify_workflow_id(registry)
    now = [0.0]
    dispatcher = Dispatcher(
        AirflowApi(fake_airflow.url, "admin", fake_airflow.password), registry,
        sweep_interval=3600, stale_after=60, clock=lambda: now[0],
    )  # fmt: skip
    event_id = store(registry, workflow_id, "a")
    dispatcher.wake([Wake(workflow_id, SHOPIFY_DAG, event_id, "test")])
    now[0] = 30.0
    dispatcher.wake([Wake(workflow_id, SHOPIFY_DAG, event_id, "test")])
    assert len(fake_airflow.accepted) == 1
    now[0] = 61.0  # not started after a minute, but Airflow still has it queued (a paused DAG): keep waiting
    dispatcher.wake([Wake(workflow_id, SHOPIFY_DAG, event_id, "test")])
    assert len(fake_airflow.accepted) == 1
    fake_airflow.run_states[fake_airflow.accepted[0].body["dag_run_id"]] = "failed"  # it failed before its task
    now[0] = 122.0
    dispatcher.wake([Wake(workflow_id, SHOPIFY_DAG, event_id, "test")])
    assert len(fake_airflow.accepted) == 2


def test_events_wait_while_airflow_is_down_and_the_sweeper_wakes_them_later(start_receiver):
    port = free_port()
    harness = start_receiver(api_url=f"http://127.0.0.1:{port}")

    event_id = post_order(harness)  # acknowledged although Airflow is unreachable

    wait_for(lambda: harness.receiver.dispatcher.stats["unavailable"] >= 1)
    assert harness.event(event_id).status == EventStatus.RECEIVED
    fake = FakeAirflow(port=port).start()
    try:
        wait_for(lambda: fake.accepted)
        assert fake.accepted[0].body["conf"]["woken_by_event"] == event_id
    finally:
        fake.stop()


def test_a_dag_not_parsed_yet_is_retried(start_receiver, fake_airflow):
    fake_airflow.missing_dags = {SHOPIFY_DAG}
    harness = start_receiver(fake_airflow)
    post_order(harness)
    wait_for(lambda: harness.receiver.dispatcher.stats["not_found"] >= 1)
    fake_airflow.missing_dags = set()
    wait_for(lambda: fake_airflow.accepted)


def test_a_run_airflow_refuses_is_logged_and_the_events_stay_received(start_receiver, fake_airflow, caplog):
    fake_airflow.mode = "invalid"
    harness = start_receiver(fake_airflow)
    event_id = post_order(harness)
    wait_for(lambda: harness.receiver.dispatcher.stats["refused"] >= 1)
    assert "Airflow refused a run" in caplog.text
    assert harness.event(event_id).status == EventStatus.RECEIVED


def test_the_token_is_fetched_again_after_a_401(start_receiver, fake_airflow):
    harness = start_receiver(fake_airflow)
    post_order(harness, 1)
    wait_for(lambda: len(fake_airflow.accepted) == 1)
    fake_airflow.expire_tokens()
    with get_engine(harness.db_url).begin() as connection:  # the first run drained: the next event needs a run
        run_id = fake_airflow.accepted[0].body["dag_run_id"]
        start_drain(connection, run_id, shopify_workflow_id(harness.db_url), 1)
        finish_drain(connection, run_id, {})
    post_order(harness, 2)
    wait_for(lambda: len(fake_airflow.accepted) == 2)
    assert fake_airflow.token_requests == 2
    assert fake_airflow.requests[1].status == 401
    assert fake_airflow.requests[1].authorization != fake_airflow.requests[2].authorization


def test_wrong_airflow_credentials_keep_events_received_and_out_of_the_logs(start_receiver, fake_airflow, caplog):
    caplog.set_level(logging.DEBUG)
    harness = start_receiver(fake_airflow, airflow_password="not-the-password-123")
    event_id = post_order(harness)
    wait_for(lambda: harness.receiver.dispatcher.stats["unavailable"] >= 1)
    assert harness.event(event_id).status == EventStatus.RECEIVED
    assert "not-the-password-123" not in caplog.text


def test_triggers_are_serial(start_receiver, fake_airflow):
    fake_airflow.latency = 0.01
    harness = start_receiver(fake_airflow)
    body = json.dumps({"externalShipmentID": "S1", "status": "packed", "status_updated_at": "t"}).encode()
    assert harness.post(ESHOPBOX_ROUTE, body, {"x-api-key": ESHOPBOX_TOKEN}).status_code == 200
    post_order(harness)  # three workflows woken at once
    wait_for(lambda: len(fake_airflow.accepted) == 3, timeout=10)
    assert fake_airflow.max_in_flight == 1


def test_events_stored_while_the_dispatcher_was_off_are_swept_but_polling_events_are_not(start_receiver, fake_airflow):
    offline = start_receiver(fake_airflow, dispatch=False)
    stored = [post_order(offline, n) for n in range(3)]
    with session_scope(offline.db_url) as session:  # a polled record waiting in a polling workflow's inbox
        polling = session.query(Workflow).filter_by(key="eshopbox_stock_to_shopify").one()
        session.add(Event(workflow_id=polling.id, dedupe_key="SKU-1:GGN", payload=b"{}", headers={}))
    assert fake_airflow.requests == []

    start_receiver(fake_airflow)  # a new process: its first sweep finds the backlog

    wait_for(lambda: fake_airflow.accepted)
    (run,) = fake_airflow.accepted  # one run for the three events, woken by the oldest
    assert run.dag_id == SHOPIFY_DAG and run.body["conf"]["woken_by_event"] == min(stored)
