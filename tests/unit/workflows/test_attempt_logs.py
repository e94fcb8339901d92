"""Each attempt's log line says which workflow, event and step it was for, and personal data from the payload is
masked in every log line (a real drain and HTTP server)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from connectors.registry.db import session_scope
from connectors.runtime.personal_data import personal_values
from connectors.spec import Catalog
from connectors.workflows.drain import drain_workflow
from connectors.workflows.validation import load_workflow
from tests.unit.runtime.helpers import http_records
from tests.unit.runtime.scripted_server import Scripted, ScriptedServer, scripted_server
from tests.unit.workflows.drain_fixtures import (
    apply,
    apply_workflows_rows,
    clients_for,
    deliver,
    statuses,
)

__all__ = ["scripted_server"]  # the fixture
ROOT = Path(__file__).resolve().parents[3]


def test_every_attempt_logs_its_workflow_event_and_step(
    registry: str, tmp_path: Path, scripted_server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    workflow = apply(registry, tmp_path)
    scripted_server.queue(Scripted(503), Scripted(200, {}), path="/orders/5")
    [event_id] = deliver(registry, workflow, {"id": 5, "status": "paid"})

    with caplog.at_level(logging.INFO, logger="connectors.http"):
        drain_workflow(workflow, "run-1", clients_for(scripted_server.url), url=registry)

    lines = [record.http for record in http_records(caplog)]  # type: ignore[attr-defined]
    assert [(line["workflow"], line["event"], line["step"], line["attempt"], line["status"]) for line in lines] == [
        ("wf.acme.orders", event_id, "create", 1, 503),
        ("wf.acme.orders", event_id, "create", 2, 200),
    ]
    assert f"workflow=wf.acme.orders event={event_id} step=create" in http_records(caplog)[0].getMessage()


PERSONAL_WORKFLOW = """
client: acme
key: customers
name: Shopify customers to the CRM
trigger: {app: shopify@2.0.0, connection: shop, key: order_created}
steps:
  - key: upsert
    app: http@1.0.0
    connection: api
    action: put_json
    inputs:
      path: "/customers/{{ trigger.id }}"
      body: {email: "{{ trigger.email }}", city: "{{ trigger.shipping_address.city }}"}
"""


def test_personal_data_the_app_marks_sensitive_is_masked_in_every_log_line(
    registry: str, tmp_path: Path, scripted_server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "customers.yaml"
    path.write_text(PERSONAL_WORKFLOW)
    with session_scope(registry) as session:
        (workflow,) = [row.id for row in apply_workflows_rows(session, load_workflow(path, Catalog.load()))]
    echo = {"errors": "customer jane.doe@example.com in Bengaluru-560001 already exists"}  # servers echo input
    scripted_server.reply(422, echo, path="/customers/5")
    order = {"id": 5, "email": "jane.doe@example.com", "shipping_address": {"city": "Bengaluru-560001", "zip": "56"}}
    [event_id] = deliver(registry, workflow, order)

    with caplog.at_level(logging.INFO):
        summary = drain_workflow(workflow, "run-1", clients_for(scripted_server.url), url=registry)

    assert list(summary.failed) == [event_id]  # the 422, with the reason, kept in the registry for replay
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert f"event {event_id} (order-5): failed" in text and "[personal]" in text
    assert "jane.doe@example.com" not in text and "Bengaluru-560001" not in text
    assert "jane.doe@example.com" not in summary.failed[event_id]  # what the task's error and XCom show
    assert "jane.doe@example.com" in statuses(registry)[event_id][1]  # the event keeps its own data, for replay


def test_personal_values_reach_every_leaf_of_an_object_field() -> None:
    data = {"email": "a@b.in", "address": {"lines": ["12 MG Road", "Flat 4"], "pin": 560001, "cod": True}, "x": "y"}

    found = personal_values(data, ["email", "address", "missing"])

    assert {"a@b.in", "12 MG Road", "Flat 4", "560001"} <= found and "y" not in found and "True" not in found


FILTERING_WORKFLOW = PERSONAL_WORKFLOW.replace(
    "steps:", "conditions:\n  all:\n    - {field: email, operator: equals, value: vip@example.com}\nsteps:"
)
FRESH_PROCESS = """
import json, logging, sys
from pathlib import Path
from connectors.registry.db import session_scope
from connectors.spec import Catalog
from connectors.workflows.drain import drain_workflow
from connectors.workflows.validation import load_workflow
from tests.unit.workflows.drain_fixtures import apply_workflows_rows, clients_for, deliver

logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(message)s")
url, path = sys.argv[1], Path(sys.argv[2])
with session_scope(url) as session:
    (workflow,) = [row.id for row in apply_workflows_rows(session, load_workflow(path, Catalog.load()))]
deliver(url, workflow, {"id": 6, "email": "jane.doe@example.com"})
drain_workflow(workflow, "run-1", clients_for("http://127.0.0.1:9"), url=url)  # filtered: no client is built
"""


def test_personal_data_is_masked_in_a_process_that_never_built_a_client(registry: str, tmp_path: Path) -> None:
    path = tmp_path / "vip.yaml"
    path.write_text(FILTERING_WORKFLOW)
    env = {**os.environ, "INTEGRATIONS_DB_URL": registry, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", FRESH_PROCESS, registry, str(path)], env=env, capture_output=True,
                          text=True, timeout=120, cwd=ROOT)  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert "filtered in" in done.stdout and "(was '[personal]')" in done.stdout
    assert "jane.doe@example.com" not in done.stdout + done.stderr
