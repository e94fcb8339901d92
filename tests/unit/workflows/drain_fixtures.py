"""A workflow on the generic `http` app against a scripted server, its registry, and a drain worker process."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import requests

from connectors.registry.db import get_engine, migrate, session_scope
from connectors.registry.inbox import NewEvent, store_events
from connectors.registry.models import Event, EventStatus
from connectors.runtime.http.client import AppClient, ConnectionValues
from connectors.spec import Catalog
from connectors.workflows.engine import ClientFactory
from connectors.workflows.store import apply_workflows
from connectors.workflows.validation import load_workflow

WORKFLOW = """
client: acme
key: orders
name: Paid orders to the API
trigger: {app: http@1.0.0, connection: shop, key: catch_hook}
conditions:
  all:
    - {field: status, operator: equals, value: paid}
steps:
  - key: create
    app: http@1.0.0
    connection: api
    action: put_json
    inputs:
      path: "{{ params.prefix }}/orders/{{ trigger.id }}"
      body: {id: "{{ trigger.id }}"}
"""


def write_workflow(folder: Path, prefix: str = "") -> Path:
    path = folder / "orders.yaml"
    text = WORKFLOW.replace("key: catch_hook}", f"key: catch_hook, parameters: {{prefix: '{prefix}'}}}}")
    path.write_text(text)
    return path


def apply(url: str, folder: Path, prefix: str = "") -> int:
    spec = load_workflow(write_workflow(folder, prefix), Catalog.load())
    with session_scope(url) as session:
        (row_id,) = [row.id for row in apply_workflows_rows(session, spec)]
    return row_id


def apply_workflows_rows(session: Any, spec: Any) -> list[Any]:
    from connectors.registry.models import Workflow

    apply_workflows(session, [spec])
    return list(session.query(Workflow).filter_by(client=spec.client, key=spec.key))


def new_registry(folder: Path) -> str:
    url = f"sqlite:///{folder / 'registry.db'}"
    migrate(url)
    return url


def deliver(url: str, workflow_id: int, *orders: dict[str, Any]) -> list[int]:
    events = [NewEvent(workflow_id, f"order-{order['id']}", json.dumps(order).encode()) for order in orders]
    with get_engine(url).begin() as connection:
        return [stored.event_id for stored in store_events(connection, events)]


def statuses(url: str) -> dict[int, tuple[EventStatus, str | None]]:
    with session_scope(url) as session:
        return {e.id: (e.status, e.error) for e in session.query(Event).order_by(Event.id)}


def clients_for(base_url: str) -> ClientFactory:
    catalog = Catalog.load()

    def build(app_ref: str, conn_id: str) -> AppClient:
        session = requests.Session()
        session.trust_env = False
        values = ConnectionValues(conn_id, {"token": "api-token-123456"}, {"base_url": base_url})
        return AppClient(catalog.get(app_ref), values, session=session, sleep=lambda _: None)

    return build


if __name__ == "__main__":  # a drain in its own process, which a test kills mid-batch
    import datetime as dt

    from connectors.workflows.drain import DrainSettings, drain_workflow

    registry_url, workflow_id, base_url, run_id = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    lease = float(sys.argv[5]) if len(sys.argv) > 5 else 4.0  # long enough for the test to look before it ends
    settings = DrainSettings(lease=dt.timedelta(seconds=lease))
    drain_workflow(workflow_id, run_id, clients_for(base_url), settings, url=registry_url)
