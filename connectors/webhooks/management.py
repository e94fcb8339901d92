"""The receiver's management routes, behind Airflow's authentication: `GET /health`, `/docs`, `/redoc`,
`/openapi.json`. The webhook routes are the only public ones (their callers prove themselves by signature or token).

Airflow does not authenticate plugin apps, so these routes add Airflow's own dependencies, as its REST API does
(`airflow.api_fastapi.core_api.security`): a user from the `Authorization: Bearer <JWT>` header (`POST /auth/token`)
or the UI's `_token` cookie (a page opened from Airflow's UI on the same origin is logged in already), authorised by
the auth manager for a view — `CLUSTER_ACTIVITY` for the health (Airflow's dashboard of the same kind), `DOCS` for
the API description. No credentials: 401; a user the auth manager does not allow: 403.

The routes live in a small FastAPI app of their own, built at the first request to one of them: Airflow's security
module takes seconds to import, and every Airflow process that loads the plugin (scheduler, workers) builds the
receiver without ever serving it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import anyio.to_thread
from fastapi import Depends, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse

from connectors.webhooks.api_description import webhook_paths

if TYPE_CHECKING:
    from connectors.webhooks.receiver import Receiver

TITLE = "Integrations webhooks"
DESCRIPTION = (
    "Webhook receiver of the integration platform, mounted in the Airflow api-server under `/integrations`. "
    "The webhook routes are public: each delivery is verified as its app version declares (HMAC signature or "
    "token) before anything is stored, and an unknown route gets the same 401 as a failed verification. "
    "Every other route needs an Airflow login: a bearer JWT from `POST /auth/token`, or the UI's session cookie. "
    "The management API (apps, workflows, events, status) is described on its own, at `api/v1/openapi.json`."
)
MANAGEMENT_PATHS = ("/health", "/openapi.json", "/docs", "/redoc")
_auth_manager_lock = threading.Lock()


def ensure_auth_manager() -> None:
    """Airflow's configured auth manager, initialised as the api-server does when this process is not one (the
    receiver run on its own under uvicorn): the api-server's tokens then verify here under the same configuration."""
    from airflow.api_fastapi.app import get_auth_manager, init_auth_manager

    with _auth_manager_lock:
        try:
            get_auth_manager()
        except RuntimeError:
            init_auth_manager()


def airflow_access(view: str) -> list[Any]:
    """Route dependencies that let through a user Airflow authenticates and authorises for `view` (an
    `AccessView` name)."""
    from airflow.api_fastapi.auth.managers.models.resource_details import AccessView
    from airflow.api_fastapi.core_api.security import requires_access_view

    return [Depends(ensure_auth_manager), Depends(requires_access_view(AccessView[view]))]


class _BuiltOnFirstRequest:
    """An ASGI app that builds the real one at its first request (in a thread: it imports Airflow)."""

    def __init__(self, build: Callable[[], FastAPI]) -> None:
        self._build = build
        self._app: FastAPI | None = None
        self._lock = threading.Lock()

    def _built(self) -> FastAPI:
        with self._lock:
            if self._app is None:
                self._app = self._build()
            return self._app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        app = self._app or await anyio.to_thread.run_sync(self._built)
        await app(scope, receive, send)


def add_management_routes(app: FastAPI, receiver: Receiver, access: Callable[..., Any] | None) -> None:
    """`/health`, `/openapi.json`, `/docs`, `/redoc` on `app`, each guarded by `access` (a dependency), or by
    Airflow's authentication when `access` is None. `app` must be built with its own docs routes off."""
    management = _BuiltOnFirstRequest(lambda: management_app(app, receiver, access))
    for path in MANAGEMENT_PATHS:
        app.add_route(path, management, methods=["GET"], include_in_schema=False)


def management_app(host: FastAPI, receiver: Receiver, access: Callable[..., Any] | None) -> FastAPI:
    """The management routes of the receiver app `host` as an app of their own (same paths)."""
    health_guard = [Depends(access)] if access else airflow_access("CLUSTER_ACTIVITY")
    docs_guard = [Depends(access)] if access else airflow_access("DOCS")
    app = FastAPI(title=TITLE, version=host.version, docs_url=None, redoc_url=None, openapi_url=None)

    async def health() -> JSONResponse:
        """The platform's health (Airflow's components, the inbox backlog, failed events) and the receiver's
        counters; 503 when degraded, so a monitor sees it."""
        dispatcher, writer, table = receiver.dispatcher, receiver.writer, receiver.router.table
        answer: dict[str, Any] = dict(await anyio.to_thread.run_sync(receiver.health.read))
        answer["routes"] = len(table.by_id) if table else None
        answer["writer"] = {
            "batches": writer.batches,
            "events": writer.events,
            "busy_seconds": round(writer.busy_seconds, 3),
            "slowest_batch_seconds": round(writer.slowest_batch_seconds, 3),
        }
        if dispatcher is not None:
            answer["dispatcher"] = {"running": dispatcher.running, "backlog": dispatcher.backlog(), **dispatcher.stats}
        return JSONResponse(answer, status_code=200 if answer["status"] == "ok" else 503)

    app.add_api_route(
        "/health",
        health,
        methods=["GET"],
        dependencies=health_guard,
        tags=["management"],
        responses={503: {"description": "Degraded: `problems` says why"}},
    )

    def describe() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=TITLE, version=app.version, description=DESCRIPTION, routes=app.routes)
            schema["paths"] = {**webhook_paths(receiver.catalog()), **schema.get("paths", {})}
            app.openapi_schema = schema
        return app.openapi_schema

    def mounted_at(request: Request) -> str:
        return str(request.scope.get("root_path", "")).rstrip("/")

    async def openapi_json(request: Request) -> JSONResponse:
        schema = await anyio.to_thread.run_sync(describe)  # the first call may load the app definitions
        root = mounted_at(request)
        return JSONResponse({**schema, "servers": [{"url": root}]} if root else schema)

    async def swagger(request: Request) -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=mounted_at(request) + "/openapi.json", title=TITLE)

    async def redoc(request: Request) -> HTMLResponse:
        return get_redoc_html(openapi_url=mounted_at(request) + "/openapi.json", title=TITLE)

    for path, endpoint in (("/openapi.json", openapi_json), ("/docs", swagger), ("/redoc", redoc)):
        app.add_api_route(path, endpoint, methods=["GET"], dependencies=docs_guard, include_in_schema=False)
    app.openapi = describe  # type: ignore[method-assign]
    return app
