"""A tiny stand-in for Airflow's REST API v2 (http.server on 127.0.0.1): tokens and DAG run triggers.

fake.mode = "ok"            201 for a new run id, 409 for one seen before
fake.mode = "conflict"      409 always (the run exists)
fake.mode = "unavailable"   503
fake.missing_dags = {...}   404 for these DAGs (not parsed yet)
fake.expire_tokens()        every token issued so far answers 401 from now on
fake.health                 what GET /api/v2/monitor/health answers (every component healthy by default)
fake.run_states[run_id]     what GET .../dagRuns/{run_id} answers for a triggered run (default: queued)
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HOST = "127.0.0.1"
RUNS_PATH = re.compile(r"^/api/v2/dags/(?P<dag_id>[^/]+)/dagRuns$")
RUN_PATH = re.compile(r"^/api/v2/dags/(?P<dag_id>[^/]+)/dagRuns/(?P<run_id>[^/]+)$")


@dataclass(frozen=True)
class RunRequest:
    dag_id: str
    body: dict[str, Any]
    authorization: str | None
    status: int


class FakeAirflow:
    def __init__(self, port: int = 0, username: str = "admin", password: str = "airflow-pw-s3cret") -> None:
        self.username, self.password = username, password
        self.mode = "ok"
        self.missing_dags: set[str] = set()
        self.latency = 0.0
        self.requests: list[RunRequest] = []
        self.runs: dict[tuple[str, str], dict[str, Any]] = {}
        self.token_requests = 0
        self.run_states: dict[str, str] = {}  # run id -> state GET answers (default: queued)
        self.health: dict[str, Any] = {
            "metadatabase": {"status": "healthy"},
            "scheduler": {"status": "healthy", "latest_scheduler_heartbeat": "2026-11-30T10:00:00+00:00"},
            "triggerer": {"status": "healthy", "latest_triggerer_heartbeat": "2026-11-30T10:00:00+00:00"},
            "dag_processor": {"status": "healthy", "latest_dag_processor_heartbeat": "2026-11-30T10:00:00+00:00"},
        }
        self.in_flight = 0
        self.max_in_flight = 0  # concurrent dagRuns calls seen: the dispatcher must keep this at 1
        self._valid_tokens: set[str] = set()
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((HOST, port), self._handler())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"http://{HOST}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def start(self) -> FakeAirflow:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def expire_tokens(self) -> None:
        with self._lock:
            self._valid_tokens.clear()

    @property
    def accepted(self) -> list[RunRequest]:
        return [r for r in self.requests if r.status in (200, 201)]

    def _answer(self, path: str, body: dict[str, Any], authorization: str | None) -> tuple[int, dict[str, Any]]:
        with self._lock:
            if path == "/auth/token":
                self.token_requests += 1
                if body.get("username") != self.username or body.get("password") != self.password:
                    return 401, {"detail": "Invalid credentials"}
                token = f"token-{next(self._counter)}-abcdef"
                self._valid_tokens.add(token)
                return 201, {"access_token": token}
            match = RUNS_PATH.match(path)
            if not match:
                return 404, {"detail": "Not Found"}
            dag_id = match["dag_id"]
            token = (authorization or "").removeprefix("Bearer ")
            if token not in self._valid_tokens:
                status, answer = 401, {"detail": "Not authenticated"}
            elif self.mode == "unavailable":
                status, answer = 503, {"detail": "database is locked"}
            elif self.mode == "invalid":
                status, answer = 422, {"detail": [{"msg": "Input should be a valid dictionary"}]}
            elif dag_id in self.missing_dags:
                status, answer = 404, {"detail": f"The Dag with dag_id: `{dag_id}` was not found"}
            elif self.mode == "conflict" or (dag_id, body.get("dag_run_id")) in self.runs:
                status, answer = 409, {"detail": "Unique constraint violation"}
            else:
                status = 200
                answer = {"dag_id": dag_id, "dag_run_id": body.get("dag_run_id"), "state": "queued"}
                self.runs[(dag_id, body["dag_run_id"])] = body
            self.requests.append(RunRequest(dag_id, body, authorization, status))
            return status, answer

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            wbufsize = 64 * 1024  # headers and body in one segment (no Nagle / delayed-ACK stalls)

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                run = RUN_PATH.match(self.path)
                if self.path == "/api/v2/monitor/health":
                    status, data = 200, json.dumps(fake.health).encode()
                elif run and (run["dag_id"], run["run_id"]) in fake.runs:
                    state = fake.run_states.get(run["run_id"], "queued")
                    status, data = 200, json.dumps({"dag_run_id": run["run_id"], "state": state}).encode()
                else:
                    status, data = 404, b'{"detail": "Not Found"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                with fake._lock:
                    fake.in_flight += 1
                    fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
                if fake.latency:
                    threading.Event().wait(fake.latency)
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {}
                status, answer = fake._answer(self.path, body, self.headers.get("Authorization"))
                with fake._lock:
                    fake.in_flight -= 1
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
