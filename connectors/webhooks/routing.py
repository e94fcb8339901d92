"""The routing table: which enabled workflows receive a webhook, read from the registry in one query and cached.

Two keys lead to workflows: (app, trigger key, connection) — every workflow listening to that trigger of that
app (any version) on that connection, the fan-out route — and (client, workflow key), one workflow.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import anyio.to_thread
from sqlalchemy import select

from connectors.registry.dag_ids import dag_id_for
from connectors.registry.db import session_scope
from connectors.registry.models import Workflow
from connectors.spec import AppVersionSpec, Catalog
from connectors.spec.triggers import WebhookTriggerSpec

log = logging.getLogger(__name__)

MISS_REFRESH_SECONDS = 1.0  # an unknown route re-reads the table at most this often


@dataclass(frozen=True, eq=False)  # hashed by identity: a table's routes key small caches
class Route:
    """One enabled workflow with a webhook trigger, and the app version that declares how to verify it."""

    workflow_id: int
    client: str
    key: str
    connection: str
    spec: AppVersionSpec
    trigger_key: str
    trigger: WebhookTriggerSpec

    @property
    def dag_id(self) -> str:
        return dag_id_for(self.client, self.key)

    @property
    def app_ref(self) -> str:
        return self.spec.ref

    def note(self, dedupe_key: str) -> str:
        """The DAG run's note: which trigger and which event."""
        return f"{self.app_ref} {self.trigger_key} event {dedupe_key}"[:1000]


@dataclass(frozen=True)
class RoutingTable:
    by_connection: dict[tuple[str, str, str], tuple[Route, ...]] = field(default_factory=dict)
    by_workflow: dict[tuple[str, str], Route] = field(default_factory=dict)
    by_id: dict[int, Route] = field(default_factory=dict)
    loaded_at: float = 0.0


def load_routing_table(url: str | None, catalog: Catalog, now: float) -> RoutingTable:
    """Every enabled workflow whose trigger is a webhook of a known app version (others are skipped, logged)."""
    w = Workflow.__table__.c
    query = (
        select(w.id, w.client, w.key, w.trigger_app, w.trigger_version, w.trigger_key, w.trigger_connection)
        .where(w.enabled.is_(True))
        .order_by(w.id)
    )
    by_connection: dict[tuple[str, str, str], list[Route]] = {}
    by_workflow, by_id = {}, {}
    with session_scope(url) as session:
        rows = session.execute(query).all()
    for workflow_id, client, key, app, version, trigger_key, connection in rows:
        spec = catalog.apps.get(app, {}).get(version)
        trigger = spec.triggers.get(trigger_key) if spec else None
        if spec is None:
            log.warning("workflow %s/%s: unknown app version %s@%s, not routed", client, key, app, version)
            continue
        if not isinstance(trigger, WebhookTriggerSpec):
            continue  # polling workflows have no webhook route
        route = Route(workflow_id, client, key, connection, spec, trigger_key, trigger)
        by_connection.setdefault((app, trigger_key, connection), []).append(route)
        by_workflow[(client, key)] = route
        by_id[workflow_id] = route
    return RoutingTable({k: tuple(v) for k, v in by_connection.items()}, by_workflow, by_id, now)


class Router:
    """Serves the cached table; re-reads it in the background once older than `refresh_seconds` (requests keep
    using the previous table meanwhile), and at once — at most every second — when a route is unknown."""

    def __init__(
        self,
        url: str | None,
        catalog: Callable[[], Catalog],
        refresh_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url, self.catalog, self.refresh_seconds, self.clock = url, catalog, refresh_seconds, clock
        self.table: RoutingTable | None = None
        self._task: asyncio.Task[RoutingTable] | None = None

    def _load(self) -> RoutingTable:
        return load_routing_table(self.url, self.catalog(), self.clock())

    async def _reload(self) -> RoutingTable:
        try:
            self.table = await anyio.to_thread.run_sync(self._load)
        except Exception:
            if self.table is None:
                raise
            log.exception("routing table could not be re-read; keeping the previous one")
        return self.table

    async def refresh(self) -> RoutingTable:
        """Re-read now; concurrent callers share one read."""
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._reload())
        return await asyncio.shield(self._task)

    async def current(self) -> RoutingTable:
        table = self.table
        if table is None:
            return await self.refresh()
        if self.clock() - table.loaded_at > self.refresh_seconds and (self._task is None or self._task.done()):
            self._task = asyncio.ensure_future(self._reload())
        return table

    async def after_miss(self) -> RoutingTable | None:
        """A fresh table when the current one may be too old to know a new workflow, else None."""
        table = self.table
        if table is not None and self.clock() - table.loaded_at < MISS_REFRESH_SECONDS:
            return None
        return await self.refresh()
