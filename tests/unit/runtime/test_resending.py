"""A write that may have been applied is not re-sent blindly: its search runs again first, an idempotency key
makes it safe, and without either the step stops (against a real HTTP server)."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.runtime.errors import OutcomeUnknownError, RetriesExhaustedError
from connectors.runtime.steps import run_action
from connectors.spec.app_version import AppVersionSpec
from tests.unit.runtime.helpers import make_client, make_spec
from tests.unit.runtime.scripted_server import Scripted, ScriptedServer, free_port

FIND_ORDER = {
    "name": "Find order",
    "inputs": {"number": {"required": True}},
    "request": {"url": "/orders", "params": {"number": "{{ inputs.number }}"}},
    "records": "orders",
}


def _spec(**action: Any) -> AppVersionSpec:
    create = {
        "name": "Create order",
        "inputs": {"number": {"required": True}},
        "request": {"method": "POST", "url": "/orders", "json": {"number": "{{ inputs.number }}"}},
        "result": "order",
        **action,
    }
    return make_spec(searches={"find_order": FIND_ORDER}, actions={"create_order": create})


FIND_OR_CREATE = {"search_first": {"search": "find_order", "inputs": {"number": "{{ inputs.number }}"}}}


def _methods(server: ScriptedServer) -> list[str]:
    return [f"{r.method} {r.path}" for r in server.requests]


@pytest.mark.parametrize("lost", [Scripted(503, {"errors": "busy"}), Scripted(drop=True)], ids=["503", "reset"])
def test_a_create_committed_but_answered_with_an_error_is_found_by_its_search_not_sent_twice(
    scripted_server: ScriptedServer, lost: Scripted
) -> None:
    scripted_server.reply(200, {"orders": []}, path="/orders")  # search: none yet
    scripted_server.queue(lost, path="/orders")  # the POST is stored, but its answer is lost
    scripted_server.reply(200, {"orders": [{"id": 7, "number": "1001"}]}, path="/orders")  # search again: found

    result = run_action(make_client(_spec(**FIND_OR_CREATE), scripted_server.url), "create_order", {"number": "1001"})

    assert _methods(scripted_server) == ["GET /orders", "POST /orders", "GET /orders"]
    assert (result.outcome, result.result) == ("found", {"id": 7, "number": "1001"})


def test_a_create_the_search_still_does_not_find_is_sent_again(scripted_server: ScriptedServer) -> None:
    scripted_server.reply(200, {"orders": []}, path="/orders")
    scripted_server.reply(503, path="/orders")  # not stored after all
    scripted_server.reply(200, {"orders": []}, path="/orders")
    scripted_server.reply(201, {"order": {"id": 8}}, path="/orders")

    result = run_action(make_client(_spec(**FIND_OR_CREATE), scripted_server.url), "create_order", {"number": "1002"})

    assert _methods(scripted_server) == ["GET /orders", "POST /orders", "GET /orders", "POST /orders"]
    assert (result.outcome, result.result) == ("succeeded", {"id": 8})


def test_a_create_without_a_way_to_check_takes_a_503_at_its_word_and_sends_again(
    scripted_server: ScriptedServer,
) -> None:
    scripted_server.reply(503, {"errors": "down for maintenance"}, path="/orders")  # RFC 9110: not processed
    scripted_server.reply(201, {"order": {"id": 12}}, path="/orders")

    result = run_action(make_client(_spec(), scripted_server.url), "create_order", {"number": "1007"})

    assert _methods(scripted_server) == ["POST /orders", "POST /orders"] and result.result == {"id": 12}


@pytest.mark.parametrize("lost", [Scripted(500), Scripted(504), Scripted(drop=True)], ids=["500", "504", "reset"])
def test_a_create_without_a_way_to_check_stops_after_one_send(scripted_server: ScriptedServer, lost: Scripted) -> None:
    scripted_server.queue(lost, path="/orders")
    scripted_server.default = Scripted(201, {"order": {"id": 9}})  # a blind retry would succeed, and duplicate

    with pytest.raises(OutcomeUnknownError, match="may have been applied") as raised:
        run_action(make_client(_spec(), scripted_server.url), "create_order", {"number": "1003"})

    assert _methods(scripted_server) == ["POST /orders"]
    assert not raised.value.retryable


def test_a_create_the_app_declares_idempotent_is_retried(scripted_server: ScriptedServer) -> None:
    scripted_server.reply(503, path="/orders")
    scripted_server.reply(201, {"order": {"id": 10}}, path="/orders")
    spec = _spec(request={"method": "POST", "url": "/orders", "idempotent": True, "json": {"n": "{{ inputs.number }}"}})

    result = run_action(make_client(spec, scripted_server.url), "create_order", {"number": "1004"})

    assert _methods(scripted_server) == ["POST /orders", "POST /orders"]
    assert result.result == {"id": 10}


def test_every_attempt_carries_the_same_idempotency_key(scripted_server: ScriptedServer) -> None:
    scripted_server.queue(Scripted(503), Scripted(drop=True), path="/orders")
    scripted_server.reply(201, {"order": {"id": 11}}, path="/orders")
    spec = _spec(idempotency_key={"header": "Idempotency-Key"})

    client = make_client(spec, scripted_server.url)
    run_action(client, "create_order", {"number": "1005"}, idempotency_key="step-1005")

    assert _methods(scripted_server) == ["POST /orders"] * 3
    [key] = {r.headers["Idempotency-Key"] for r in scripted_server.requests}
    scripted_server.default = Scripted(201, {"order": {"id": 11}})
    run_action(client, "create_order", {"number": "1005"}, idempotency_key="step-1005")  # a replay, same body
    run_action(client, "create_order", {"number": "1005-A"}, idempotency_key="step-1005")  # the mapping fixed
    replayed, fixed = (r.headers["Idempotency-Key"] for r in scripted_server.requests[3:])
    assert replayed == key and fixed != key  # another body: the app would refuse the old key


def test_a_create_that_never_reached_the_app_is_retried_without_a_search() -> None:
    client = make_client(_spec(), f"http://127.0.0.1:{free_port()}")  # nothing listens: connection refused

    with pytest.raises(RetriesExhaustedError) as raised:
        run_action(client, "create_order", {"number": "1006"})

    assert raised.value.attempts == 3  # every attempt was made: none can have created the order
    assert raised.value.retryable
