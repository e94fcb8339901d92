"""The watchdog of `make run`: one loud line when a component dies, one when it is back, nothing in between."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from connectors.devserver.watchdog import HealthWatch, fetch_health

BEAT = "2026-11-30T10:00:00+00:00"


def health(**statuses: str | None) -> dict[str, Any]:
    answer: dict[str, Any] = {"metadatabase": {"status": "healthy"}}
    for name in ("scheduler", "dag_processor", "triggerer"):
        status = statuses.get(name, "healthy")
        answer[name] = {"status": status, f"latest_{name}_heartbeat": BEAT}
    return answer


def test_a_component_that_dies_is_reported_once_and_its_recovery_too() -> None:
    watch = HealthWatch(started=0.0)
    assert watch.observe(health(), now=1) == []
    [line] = watch.observe(health(scheduler="unhealthy"), now=2)
    assert line.startswith("!! scheduler is unhealthy since ")
    assert line.endswith(f"(last heartbeat {BEAT})")
    assert watch.observe(health(scheduler="unhealthy"), now=3) == []
    assert watch.observe(health(), now=4) == ["ok scheduler is healthy again"]
    assert watch.observe(health(), now=5) == []


def test_start_up_is_quiet_until_the_grace_period_is_over() -> None:
    watch = HealthWatch(startup_grace=60, started=0.0)
    assert watch.observe(None, now=1) == []  # the api-server is not up yet
    assert watch.observe(health(triggerer=None, dag_processor="unhealthy"), now=10) == []
    lines = watch.observe(health(triggerer=None, dag_processor="unhealthy"), now=61)
    assert [line.split(" since ")[0] for line in lines] == [
        "!! dag_processor is unhealthy",
        "!! triggerer is unhealthy",
    ]


def test_an_api_server_that_stops_answering_is_reported() -> None:
    watch = HealthWatch(started=0.0)
    watch.observe(health(), now=1)
    [line] = watch.observe(None, now=2)
    assert line.startswith("!! api-server is not answering since ")
    assert watch.observe(None, now=3) == []
    assert watch.observe(health(), now=4)[0].startswith("ok api-server answers again")


@pytest.fixture
def health_server() -> Iterator[tuple[str, dict[str, Any]]]:
    current: dict[str, Any] = {"body": health(), "status": 200}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(current["body"]).encode()
            self.send_response(current["status"] if self.path == "/api/v2/monitor/health" else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", current
    finally:
        server.shutdown()
        server.server_close()


def test_fetch_health_reads_the_endpoint_and_treats_errors_as_no_answer(
    health_server: tuple[str, dict[str, Any]],
) -> None:
    url, current = health_server
    session = requests.Session()
    session.trust_env = False
    assert fetch_health(url, session) == health()
    current["status"] = 503
    assert fetch_health(url, session) is None
    assert fetch_health("http://127.0.0.1:9", session) is None  # nothing listens on the discard port
