"""The webhook receiver: a FastAPI app mounted in the Airflow api-server under `/integrations`.

    POST /webhooks/{app}/{trigger}/{connection}   every enabled workflow on that trigger and connection (fan-out)
    POST /webhooks/workflows/{client}/{key}       one workflow
    GET  /health, /docs, /redoc, /openapi.json    behind Airflow's authentication (`management.py`)
    /api/v1/…                                     the management API, behind it too (`management_api.py`)

A delivery is, in order: size-capped (413), routed and verified as its app version declares (401 for an unknown
route and for a failed verification alike, so the answer does not tell which connections and workflows exist;
nothing stored), parsed (400), topic-filtered (200 "ignored", nothing stored), deduped by its event key and stored
for each workflow — committed before the answer (200 with the event ids). New events wake their workflows through
the dispatcher: a DAG run drains a workflow's waiting events in batches. See docs/webhooks.md and docs/security.md.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import re
import threading
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.requests import ClientDisconnect

from connectors.registry.db import database_url
from connectors.registry.inbox import NewEvent
from connectors.runtime.redaction import install_log_redaction
from connectors.runtime.templating import TemplateError
from connectors.runtime.verification import (
    WebhookRejected,
    dedupe_key,
    parse_json_body,
    topic_matches,
    verify_webhook_signature,
)
from connectors.spec import Catalog
from connectors.spec.triggers import WebhookTriggerSpec
from connectors.webhooks.api_description import REFUSED
from connectors.webhooks.connections import (
    ConnectionCache,
    ConnectionUnavailable,
    VerifyContext,
    airflow_connections,
    airflow_environment,
)
from connectors.webhooks.dispatcher import Dispatcher, Wake, dispatcher_from_settings
from connectors.webhooks.health import HealthReader
from connectors.webhooks.inbox_writer import InboxWriter
from connectors.webhooks.management import TITLE, add_management_routes
from connectors.webhooks.management_api import add_management_api
from connectors.webhooks.routing import Route, Router, RoutingTable
from connectors.webhooks.settings import WebhookSettings
from connectors.webhooks.studio_mount import add_studio

log = logging.getLogger(__name__)

RECHECK_AFTER_SECONDS = 1.0  # a failed signature re-reads the connection (rotated secret) if cached this long

# Headers kept with an event: what identifies and describes the delivery. Never credentials or signatures.
_KEEP_HEADER = re.compile(
    r"^(content-type|user-agent|x-request-id)$"
    r"|(^|-)(topic|event|event-id|event-type|webhook-id|delivery|delivery-id|shop-domain|triggered-at|api-version)$"
)
_SECRET_HEADER = re.compile(r"sig|hmac|token|secret|key|auth|cookie|passw|credential|session", re.IGNORECASE)


def _verify_header(trigger: WebhookTriggerSpec) -> str | None:
    header = getattr(trigger.verify, "header", None)  # every scheme but `none` reads one
    return header.lower() if header else None


def _signed_target(request: Request, public_url: str | None) -> dict[str, str]:
    """The method, URL and path a signature may cover. The URL is the one the app calls: behind a proxy that is
    `public_url` (scheme and host) with the request's path and query, not the address the receiver sees."""
    url = request.url
    if public_url:
        query = f"?{url.query}" if url.query else ""
        return {"method": request.method, "url": public_url.rstrip("/") + url.path + query, "path": url.path}
    return {"method": request.method, "url": str(url), "path": url.path}


@lru_cache(maxsize=4096)
def _keep_header(name: str, declared: frozenset[str], secret: frozenset[str]) -> bool:
    if name in secret or _SECRET_HEADER.search(name):
        return False
    return name in declared or bool(_KEEP_HEADER.search(name))


@lru_cache(maxsize=256)
def _header_sets(routes: tuple[Route, ...]) -> tuple[frozenset[str], frozenset[str]]:
    triggers = [route.trigger for route in routes]
    declared = {h.lower() for t in triggers for h in (t.dedupe_key.header, t.topic.header if t.topic else None) if h}
    secret = {h for h in (_verify_header(t) for t in triggers) if h}
    return frozenset(declared), frozenset(secret)


def stored_headers(headers: Mapping[str, str], routes: tuple[Route, ...]) -> dict[str, str]:
    """The delivery's headers worth keeping: ids, topic, shop, timestamps, content type, and the headers the
    routes' triggers declare for the event id and topic. Signature and token headers are never kept."""
    declared, secret = _header_sets(routes)
    return {name.lower(): value for name, value in headers.items() if _keep_header(name.lower(), declared, secret)}


def _not_json(content_type: str) -> str | None:
    """Why a declared Content-Type is not UTF-8 JSON, or None (no Content-Type: the body is checked as JSON)."""
    if not content_type:
        return None
    media_type, *parameters = (part.strip().lower() for part in content_type.split(";"))
    if media_type != "application/json" and not media_type.endswith("+json"):
        return f"Content-Type {media_type!r} is not JSON: send application/json"
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip() == "charset" and value.strip().strip('"') not in ("utf-8", "utf8"):
            return f"charset {value.strip()!r} is not UTF-8"
    return None


def _answer(status: int, **body: Any) -> JSONResponse:
    return JSONResponse(body, status_code=status)


def _refused() -> JSONResponse:
    """One answer for "no such route" and "not verified": which one it was goes to the log, not to the caller."""
    return _answer(401, detail=REFUSED)


class BodyTooLarge(Exception):
    pass


async def read_body(request: Request, limit: int, timeout: float) -> bytes:
    """The raw body, refusing more than `limit` bytes whatever Content-Length says, and a sender that has not
    finished within `timeout` seconds (a connection that declares 5,000 bytes and sends 10 is not held open)."""
    async with asyncio.timeout(timeout):
        return await _read_body(request, limit)


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise BodyTooLarge
        except ValueError:
            raise WebhookRejected(400, "invalid Content-Length") from None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


class Receiver:
    """Everything the routes share: routing table, connection cache, inbox writer, dispatcher."""

    def __init__(self, settings: WebhookSettings) -> None:
        self.settings = settings
        self.url = settings.db_url or database_url()
        self._catalog: Catalog | None = settings.catalog
        self._catalog_lock = threading.Lock()
        self.router = Router(self.url, self.catalog, settings.routes_refresh_seconds)
        self.connections = ConnectionCache(
            settings.connection_lookup or airflow_connections,
            settings.connection_cache_seconds,
            environment=settings.environment_lookup or airflow_environment,
        )
        self.writer = InboxWriter(self.url, settings.max_batch, settings.store_in_event_loop)
        self.health = HealthReader(self.url, settings.airflow_api_url)
        self.dispatcher: Dispatcher | None = None
        self._started = False
        self._start_lock = threading.Lock()

    def catalog(self) -> Catalog:
        with self._catalog_lock:
            if self._catalog is None:
                self._catalog = Catalog.load()
            return self._catalog

    def reload_catalog(self) -> Catalog:
        """Read every definition again (an app version was saved): listed at once, routed at the next refresh.
        An invalid catalog raises `AppDefinitionError` and the one in use stays."""
        catalog = Catalog.load()
        with self._catalog_lock:
            self._catalog = catalog
        return catalog

    # -- life cycle: started by the lifespan, or by the first request if the host never runs it ---------------

    def start(self) -> None:
        with self._start_lock:
            if self._started:
                return
            install_log_redaction()
            if self.settings.gc_freeze:
                self._freeze_heap()
            self.writer.start()
            if self.settings.dispatch:
                self.dispatcher = dispatcher_from_settings(self.settings, self.url)
                self.dispatcher.start()
            self._started = True
            log.info("webhook receiver started (dispatcher %s)", "on" if self.dispatcher else "off")

    def _freeze_heap(self) -> None:
        """Load the app definitions, then move every object alive now out of the collector's sight (`gc.freeze`):
        full collections otherwise scan the whole api-server heap and paused requests for 100-300 ms."""
        try:
            self.catalog()
        except Exception:
            log.exception("app definitions could not be loaded")
        gc.collect()
        gc.freeze()

    def stop(self) -> None:
        with self._start_lock:
            if not self._started:
                return
            if self.dispatcher is not None:
                self.dispatcher.stop()
                self.dispatcher = None
            self.writer.stop()
            self._started = False

    # -- handling ------------------------------------------------------------------------------------------------

    async def _context(self, route: Route, fresh: bool = False) -> VerifyContext:
        entry = None if fresh else self.connections.cached(route.spec, route.connection)
        if entry is None:
            entry = await anyio.to_thread.run_sync(self.connections.load, route.spec, route.connection)
            if not entry.found:
                log.warning("webhook for %s: connection %s does not exist", route.dag_id, route.connection)
        return entry

    async def _verified(
        self, route: Route, body: bytes, headers: Mapping[str, str], target: Mapping[str, str]
    ) -> WebhookRejected | None:
        """None if the delivery verifies under this route's app version and connection, else the rejection."""
        context = await self._context(route)
        rejected = self._check(route, body, headers, context, target)
        if rejected is None or self.connections.age(route.spec, route.connection) < RECHECK_AFTER_SECONDS:
            return rejected
        context = await self._context(route, fresh=True)  # the secret may have been rotated
        return self._check(route, body, headers, context, target)

    @staticmethod
    def _check(
        route: Route, body: bytes, headers: Mapping[str, str], context: VerifyContext, target: Mapping[str, str]
    ) -> WebhookRejected | None:
        try:
            verify_webhook_signature(route.trigger, body, headers, context.values, **target)
        except WebhookRejected as rejected:
            return rejected
        except TemplateError as exc:  # e.g. the verify block names a field the connection lacks
            log.error("webhook for %s cannot be verified: %s", route.dag_id, exc)
            return WebhookRejected(401, "verification is not configured for this connection or environment")
        return None

    async def handle(self, request: Request, where: str, pick: Callable[[RoutingTable], tuple[Route, ...]]) -> Any:
        if not self._started:  # the host never ran the lifespan: start on the first request
            self.start()
        try:
            body = await read_body(request, self.settings.max_body_bytes, self.settings.body_timeout_seconds)
        except ClientDisconnect:  # the sender gave up (or its framing broke) mid-body: no one reads an answer
            log.info("webhook %r: the sender left before its body was complete", where)
            return _answer(400, detail="incomplete body")
        except TimeoutError:
            return _answer(408, detail=f"body not received within {self.settings.body_timeout_seconds:g} s")
        except BodyTooLarge:
            return _answer(413, detail=f"body larger than {self.settings.max_body_bytes} bytes")
        except WebhookRejected as rejected:
            return _answer(rejected.status, detail=rejected.reason)
        try:
            routes = pick(await self.router.current())
            if not routes:
                fresh = await self.router.after_miss()
                routes = pick(fresh) if fresh is not None else ()
        except Exception:
            log.exception("webhook %s: routing table unavailable", where)
            return _answer(503, detail="registry unavailable, retry later")
        if not routes:
            log.info("webhook %r refused: no enabled webhook workflow there", where)
            return _refused()
        headers = dict(request.headers.items())
        if any(r.trigger.ping and r.trigger.ping.matches(body, headers.get("content-type", "")) for r in routes):
            log.info("webhook %r: the app's ping acknowledged, nothing stored", where)
            return _answer(200, ping="acknowledged")
        target = _signed_target(request, self.settings.public_url)

        # one verification per app version (workflows may pin different versions of the same app)
        by_version: dict[str, list[Route]] = {}
        for route in routes:
            by_version.setdefault(route.app_ref, []).append(route)
        accepted: list[list[Route]] = []
        rejection: WebhookRejected | None = None
        try:
            for group in by_version.values():
                rejected = await self._verified(group[0], body, headers, target)
                if rejected is None:
                    accepted.append(group)
                else:
                    rejection = rejected
        except ConnectionUnavailable:  # logged with the connection's name; the caller learns nothing more
            return _answer(503, detail="credentials could not be read, retry later")
        if not accepted:
            assert rejection is not None
            log.info("webhook %r refused: %s", where, rejection.reason)
            return _refused()

        unreadable = _not_json(headers.get("content-type", ""))
        if unreadable:  # authenticated, so the sender is real: it loses events until it sends JSON
            log.warning("webhook %r refused: %s", where, unreadable)
            return _answer(415, detail=unreadable)
        try:
            payload = parse_json_body(body)
            events: list[NewEvent] = []
            targets: list[tuple[Route, str]] = []
            ignored: list[str] = []
            for group in accepted:
                trigger = group[0].trigger
                if not topic_matches(trigger, payload, headers):
                    ignored.append(f"{group[0].app_ref} {group[0].trigger_key}")
                    continue
                key = dedupe_key(trigger, payload, headers)
                kept = stored_headers(headers, routes)
                for route in group:
                    events.append(NewEvent(route.workflow_id, key, body, kept))
                    targets.append((route, key))
        except WebhookRejected as rejected:
            log.info("webhook %s rejected: %s", where, rejected.reason)
            return _answer(rejected.status, detail=rejected.reason)
        if not events:
            return _answer(200, ignored=f"topic not handled by {', '.join(ignored)}")

        try:
            results = await self.writer.store(events)
        except Exception:
            return _answer(503, detail="the event could not be stored, retry later")

        stored, duplicates, described = [], [], []
        for (route, key), result in zip(targets, results, strict=True):
            (stored if result.new else duplicates).append(result.event_id)
            described.append(
                {"workflow": f"{route.client}/{route.key}", "event_id": result.event_id, "duplicate": not result.new}
            )
            if result.new and self.dispatcher is not None:
                self.dispatcher.submit(Wake(route.workflow_id, route.dag_id, result.event_id, route.note(key)))
        return _answer(200, stored=stored, duplicates=duplicates, events=described)


def create_app(settings: WebhookSettings | None = None) -> FastAPI:
    """The receiver app. Cheap and side-effect free until started: safe to build at plugin import time."""
    settings = settings or WebhookSettings.from_env()
    receiver = Receiver(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        receiver.start()
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(receiver.stop)

    app = FastAPI(title=TITLE, version="1", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.receiver = receiver

    # Plain Starlette routes: FastAPI's parameter machinery would cost more than the rest of the handler.
    async def workflow_webhook(request: Request) -> Any:
        """Deliver to one workflow (its trigger's app version and connection decide verification)."""
        client, key = request.path_params["client"], request.path_params["key"]

        def pick(table: RoutingTable) -> tuple[Route, ...]:
            route = table.by_workflow.get((client, key))
            return (route,) if route else ()

        return await receiver.handle(request, f"workflows/{client}/{key}", pick)

    async def connection_webhook(request: Request) -> Any:
        """Deliver to every enabled workflow on this app's trigger and connection (any app version)."""
        params = request.path_params
        route_key = (params["app"], params["trigger"], params["connection"])
        return await receiver.handle(request, "/".join(route_key), lambda table: table.by_connection.get(route_key, ()))

    # the one-workflow route first: an app cannot be called "workflows"
    app.add_route("/webhooks/workflows/{client}/{key}", workflow_webhook, methods=["POST"])
    app.add_route("/webhooks/{app}/{trigger}/{connection}", connection_webhook, methods=["POST"])

    add_management_routes(app, receiver, settings.management_access)
    add_management_api(app, receiver, settings.management_access)  # /api/v1/…, docs/api.md
    add_studio(app, settings.management_access)  # /studio/, docs/studio.md
    return app
