"""The dispatcher: serial triggers through the (fake) Airflow REST API, outcomes, retries and the sweeper."""

from __future__ import annotations

import json
import logging

from connectors.registry.db import session_scope
from connectors.registry.models import Event, EventStatus, Workflow
from connectors.webhooks.dispatcher import AirflowApi, Dispatcher
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


def test_events_wait_while_airflow_is_down_and_the_sweeper_triggers_them_later(start_receiver):
    port = free_port()
    harness = start_receiver(api_url=f"http://127.0.0.1:{port}")

    event_id = post_order(harness)  # acknowledged although Airflow is unreachable

    wait_for(lambda: harness.event(event_id).error)
    assert harness.event(event_id).status == EventStatus.RECEIVED
    assert "unreachable" in harness.event(event_id).error
    fake = FakeAirflow(port=port).start()
    try:
        wait_for(lambda: harness.event(event_id).status == EventStatus.TRIGGERED)
        assert [r.body["dag_run_id"] for r in fake.accepted] == [f"event__{event_id}"]
        assert harness.event(event_id).error is None
    finally:
        fake.stop()


def test_conflict_means_already_triggered(start_receiver, fake_airflow):
    fake_airflow.mode = "conflict"
    harness = start_receiver(fake_airflow)
    event_id = post_order(harness)
    wait_for(lambda: harness.event(event_id).status == EventStatus.TRIGGERED)
    assert harness.event(event_id).dag_run_id == f"event__{event_id}"


def test_server_errors_leave_the_event_received_until_airflow_recovers(start_receiver, fake_airflow):
    fake_airflow.mode = "unavailable"
    harness = start_receiver(fake_airflow)
    event_id = post_order(harness)
    wait_for(lambda: harness.event(event_id).error)
    assert harness.event(event_id).status == EventStatus.RECEIVED
    assert "503" in harness.event(event_id).error
    fake_airflow.mode = "ok"
    wait_for(lambda: harness.event(event_id).status == EventStatus.TRIGGERED)


def test_a_dag_not_parsed_yet_is_retried(start_receiver, fake_airflow):
    fake_airflow.missing_dags = {SHOPIFY_DAG}
    harness = start_receiver(fake_airflow)
    event_id = post_order(harness)
    wait_for(lambda: harness.event(event_id).error)
    assert harness.event(event_id).status == EventStatus.RECEIVED
    assert "not found" in harness.event(event_id).error
    fake_airflow.missing_dags = set()
    wait_for(lambda: harness.event(event_id).status == EventStatus.TRIGGERED)


def test_a_run_airflow_refuses_marks_the_event_failed(start_receiver, fake_airflow):
    fake_airflow.mode = "invalid"
    harness = start_receiver(fake_airflow)
    event_id = post_order(harness)
    wait_for(lambda: harness.event(event_id).status == EventStatus.FAILED)
    assert "422" in harness.event(event_id).error


def test_the_token_is_fetched_again_after_a_401(start_receiver, fake_airflow):
    harness = start_receiver(fake_airflow)
    first = post_order(harness, 1)
    wait_for(lambda: harness.event(first).status == EventStatus.TRIGGERED)
    assert fake_airflow.token_requests == 1
    fake_airflow.expire_tokens()

    second = post_order(harness, 2)

    wait_for(lambda: harness.event(second).status == EventStatus.TRIGGERED)
    assert fake_airflow.token_requests == 2
    statuses = [r.status for r in fake_airflow.requests]
    assert statuses == [200, 401, 200]
    assert fake_airflow.requests[1].authorization != fake_airflow.requests[2].authorization


def test_wrong_airflow_credentials_keep_events_received_and_out_of_the_logs(start_receiver, fake_airflow, caplog):
    caplog.set_level(logging.DEBUG)
    harness = start_receiver(fake_airflow, airflow_password="not-the-password-123")
    event_id = post_order(harness)
    wait_for(lambda: harness.event(event_id).error)
    assert harness.event(event_id).status == EventStatus.RECEIVED
    assert "not-the-password-123" not in caplog.text


def test_triggers_are_serial(start_receiver, fake_airflow):
    fake_airflow.latency = 0.01
    harness = start_receiver(fake_airflow)
    shipments = [
        json.dumps({"externalShipmentID": f"S{n}", "status": "packed", "status_updated_at": "t"}).encode()
        for n in range(15)
    ]
    for body in shipments:  # each fans out to two workflows: 30 runs
        assert harness.post(ESHOPBOX_ROUTE, body, {"x-api-key": ESHOPBOX_TOKEN}).status_code == 200
    wait_for(lambda: len(fake_airflow.accepted) == 30, timeout=10)
    assert fake_airflow.max_in_flight == 1
    wait_for(lambda: all(e.status == EventStatus.TRIGGERED for e in harness.events()))


def test_events_stored_while_the_dispatcher_was_off_are_swept_but_polling_events_are_not(start_receiver, fake_airflow):
    offline = start_receiver(fake_airflow, dispatch=False)
    stored = [post_order(offline, n) for n in range(3)]
    with session_scope(offline.db_url) as session:  # a polled record waiting in a polling workflow's inbox
        polling = session.query(Workflow).filter_by(key="eshopbox_stock_to_shopify").one()
        session.add(Event(workflow_id=polling.id, dedupe_key="SKU-1:GGN", payload=b"{}", headers={}))
    assert fake_airflow.requests == []

    start_receiver(fake_airflow)  # a new process: its first sweep finds the backlog

    wait_for(lambda: len(fake_airflow.accepted) == 3)
    assert sorted(r.body["conf"]["event_id"] for r in fake_airflow.accepted) == stored
    assert {r.dag_id for r in fake_airflow.accepted} == {SHOPIFY_DAG}


def test_a_status_is_never_set_back_once_the_run_has_started(registry, fake_airflow):
    with session_scope(registry) as session:
        workflow = session.query(Workflow).filter_by(key="shopify_order_to_eshopbox").one()
        event = Event(workflow_id=workflow.id, dedupe_key="k", payload=b"{}", headers={}, status=EventStatus.RUNNING)
        session.add(event)
        session.flush()
        event_id = event.id
    dispatcher = Dispatcher(AirflowApi(fake_airflow.url, "admin", fake_airflow.password), registry)
    dispatcher._record(event_id, EventStatus.TRIGGERED, f"event__{event_id}", None)
    dispatcher._flush_updates(force=True)
    with session_scope(registry) as session:
        assert session.get(Event, event_id).status == EventStatus.RUNNING
