"""What the stock-sync tests share: a seed workflow applied to a registry, stock rows stored as the poll stores
them, a drain, and an HTTP session counting what was sent."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import select

from connectors.registry.db import get_engine, session_scope
from connectors.registry.inbox import NewEvent, store_events
from connectors.registry.models import Workflow
from connectors.spec import Catalog
from connectors.workflows.drain import DrainSettings, DrainSummary, drain_workflow
from connectors.workflows.engine import ClientFactory
from connectors.workflows.store import apply_workflows
from connectors.workflows.validation import load_workflow

SEEDS = Path(__file__).resolve().parents[3] / "include" / "workflows"


class CountingSession(requests.Session):
    """Counts requests by `METHOD path` (the path after `base`) and GraphQL operations by name."""

    def __init__(self, base: str = "") -> None:
        super().__init__()
        self.trust_env, self.base = False, base
        self.calls: Counter[str] = Counter()
        self.operations: Counter[str] = Counter()

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        path = url.split(self.base)[-1].split("?")[0] if self.base else url
        self.calls[f"{method} {path}"] += 1
        query = (kwargs.get("json") or {}).get("query") if isinstance(kwargs.get("json"), dict) else None
        if query:
            self.operations[query.split("(")[0].split()[-1]] += 1
        return super().request(method, url, *args, **kwargs)


def apply_seed(registry: str, name: str) -> int:
    """The seed workflow `include/workflows/<name>.yaml` applied; its id."""
    spec = load_workflow(SEEDS / f"{name}.yaml", Catalog.load())
    with session_scope(registry) as db:
        apply_workflows(db, [spec])
    with session_scope(registry) as db:
        return db.scalars(select(Workflow.id).where(Workflow.key == spec.key)).one()


def deliver_stock(registry: str, workflow: int, rows: dict[str, Any], stamp: str, warehouse: str = "GGN") -> list[int]:
    """Stock rows as the poll stores them (one event per SKU, warehouse and version); their event ids in order."""
    events = [
        NewEvent(workflow, f"{sku}|{warehouse}|{stamp}",
                 json.dumps({"sku": sku, "warehouseId": warehouse, "sellable": quantity, "updatedAt": stamp}).encode())
        for sku, quantity in rows.items()
    ]  # fmt: skip
    with get_engine(registry).begin() as connection:
        return [stored.event_id for stored in store_events(connection, events)]


def drain(registry: str, workflow: int, clients: ClientFactory, run: str, **settings: Any) -> DrainSummary:
    return drain_workflow(workflow, run, clients, DrainSettings(**settings), url=registry)
