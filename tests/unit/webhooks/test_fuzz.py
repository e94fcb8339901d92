"""No input makes the receiver answer 5xx, and nothing is stored unless it verifies and is well formed.

Two bounded runs against a real receiver (uvicorn on 127.0.0.1, mounted beside Airflow's auth manager, a real
SQLite registry with the seed workflows):
- schemathesis, from the receiver's own OpenAPI description (fetched with an Airflow token): every operation, data
  that fits the description and data that does not; each webhook case is also sent a second time, authentic
  (the demo connection, a correct signature or token over the exact bytes), so the fuzzed bodies reach parsing,
  dedupe and storage, not only verification;
- a seeded corpus of hostile requests written as raw bytes on a socket (`tests/unit/webhooks/bad_input.py`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.configuration import set_hypothesis_home_dir
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import func, select

from connectors.registry.db import session_scope
from connectors.registry.models import Event
from tests.unit.webhooks.bad_input import AUTHENTIC, hostile_requests, send_raw
from tests.unit.webhooks.conftest import Harness

MAX_EXAMPLES = 25  # per operation and generation mode
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(autouse=True, scope="module")
def hypothesis_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Hypothesis' caches (character tables, constants) in a temporary folder, not `.hypothesis` in the checkout."""
    set_hypothesis_home_dir(tmp_path_factory.mktemp("hypothesis"))
    yield
    set_hypothesis_home_dir(None)


@pytest.fixture
def receiver_under_fuzz(start_receiver, fake_airflow) -> Harness:
    return start_receiver(fake_airflow, mounted=True, body_timeout_seconds=0.2)


@pytest.fixture
def webhook_schema(receiver_under_fuzz: Harness) -> Any:
    """The receiver's description, as an Airflow user reads it from the running receiver."""
    harness = receiver_under_fuzz
    harness.http.headers["Authorization"] = f"Bearer {harness.token()}"  # management operations run logged in
    described = harness.http.get(harness.base_url + "/openapi.json", timeout=10).json()
    config = schemathesis.Config.from_dict({"base-url": harness.base_url})
    return schemathesis.openapi.from_dict(described, config=config)


def test_schemathesis_finds_no_server_error(webhook_schema, receiver_under_fuzz, server_errors):
    """Every operation, with data that fits its description and data that does not (schemathesis' strategies
    under Hypothesis: derandomized, so the run is the same each time)."""
    harness = receiver_under_fuzz
    operations = [result.ok() for result in webhook_schema.get_all_operations()]
    assert len(operations) >= 7
    sent: list[int] = []

    def exercise(case: Any) -> None:
        response = case.call(session=harness.http, timeout=10)
        case.validate_response(response, checks=CHECKS)
        stored_before = stored_events(harness)
        authentic = send_authentic(harness, case)
        sent.append(1 if authentic is None else 2)
        if authentic is not None:
            assert authentic.status_code < 500, (authentic.status_code, authentic.text)
            stored = authentic.json().get("stored", []) if authentic.status_code == 200 else []
            assert stored_events(harness) == stored_before + len(stored)

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            run = settings(
                max_examples=MAX_EXAMPLES,
                derandomize=True,
                database=None,
                deadline=None,
                suppress_health_check=list(HealthCheck),
            )(given(case=operation.as_strategy(generation_mode=mode))(exercise))
            run()
    assert [record.getMessage() for record in server_errors] == []
    assert sum(sent) >= 300


def stored_events(harness: Harness) -> int:
    with session_scope(harness.db_url) as session:
        return session.scalar(select(func.count()).select_from(Event)) or 0


def send_authentic(harness: Harness, case: Any) -> requests.Response | None:
    """The case on a demo connection with a correct signature or token over the bytes sent; None if the
    operation has no authentic form (generic routes, non-JSON bodies, an app without a demo connection)."""
    app = case.operation.path.removeprefix("/webhooks/").split("/")[0]
    if app not in AUTHENTIC or case.method.upper() != "POST" or not isinstance(case.body, dict):
        return None
    connection, authenticate = AUTHENTIC[app]
    body = json.dumps(case.body).encode()
    headers = {k: v for k, v in case.headers.items() if isinstance(v, str) and v.isascii()}
    headers.update({"Content-Type": "application/json", **authenticate(body)})
    path = case.operation.path.replace("{connection}", connection)
    return requests.post(harness.base_url + path, data=body, headers=headers, timeout=10)


def test_a_seeded_corpus_of_hostile_requests_gets_no_server_error(receiver_under_fuzz, server_errors):
    harness = receiver_under_fuzz
    started, stored, sent, wrong = time.monotonic(), 0, 0, []
    for case in hostile_requests(seed=8):
        answer = send_raw(harness.base_url, case.raw, timeout=1.5, half_close=case.half_close)
        sent += 1
        if answer.status is not None and answer.status >= 500:
            wrong.append((case.name, "server error", answer))
        elif case.stores is True and not (answer.status == 200 and answer.stored()):
            wrong.append((case.name, "not stored", answer))
        elif case.stores is False and answer.stored():
            wrong.append((case.name, "stored", answer))
        stored += len(answer.stored())
    assert not wrong, "\n".join(map(repr, wrong))
    assert len(harness.events()) == stored  # nothing stored but what was acknowledged
    assert [record.getMessage() for record in server_errors] == []
    assert sent >= 300 and time.monotonic() - started < 30
