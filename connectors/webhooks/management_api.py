"""The management API: `/integrations/api/v1/…` in the Airflow api-server, behind Airflow's own authentication.

Apps, workflows, events and status, as the `integrations` command line offers them and through the same functions
(`connectors.services`): the two faces cannot disagree. Every route needs an Airflow login (a bearer JWT from
`POST /auth/token`, or the UI's `_token` cookie) and is authorised by Airflow's auth manager as its own REST API
authorises DAGs: reading needs DAG read access (`requires_access_dag("GET")`), changing a workflow needs DAG edit
access (`PUT`; `DELETE` to delete one), and a replay, which triggers a DAG run, needs access to create DAG runs
(`POST` on `RUN`). No credentials: 401; not allowed: 403. Errors are `{"detail", "problems", "warnings"}` with 404
(not found), 409 (conflict), 422 (invalid, with every problem and its path), 503 (unavailable).

Built at its first request, as the other management routes are (Airflow's security module takes seconds to import,
and every Airflow process that loads the plugin builds the receiver without serving it). See docs/api.md.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal

from fastapi import Depends, FastAPI, Query, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from connectors.registry.db import session_scope
from connectors.services import Problem, ServiceError
from connectors.services import apps as app_service
from connectors.services import environment as environment_service
from connectors.services import events as event_service
from connectors.services import workflows as workflow_service
from connectors.services.apps import AppUsage
from connectors.services.dry_run import ContextFor, DryRun, dry_run_workflow, lookup_context
from connectors.services.environment import EnvironmentValue
from connectors.services.events import (
    BulkReplayResult,
    EventDetail,
    EventSummary,
    ReplayResult,
    StepEntry,
    WakeResult,
)
from connectors.services.status import PlatformStatus, platform_status
from connectors.services.workflows import RollbackResult, WorkflowDetail, WorkflowSummary
from connectors.webhooks.app_builder_api import add_app_builder_routes
from connectors.webhooks.connections import (
    airflow_connections,
    airflow_environment,
    read_environment,
    write_environment,
)
from connectors.webhooks.management import _BuiltOnFirstRequest, ensure_auth_manager
from connectors.workflows.validation import ConnectionTypes

if TYPE_CHECKING:
    from connectors.webhooks.receiver import Receiver
    from connectors.webhooks.settings import WebhookSettings

PREFIX = "/api/v1"
TITLE = "Integrations management API"
DESCRIPTION = (
    "Apps, workflows, events and status of the integration platform: the `integrations` command line as an HTTP "
    "API, mounted in the Airflow api-server under `/integrations/api/v1`. Every route needs an Airflow login (a "
    "bearer JWT from `POST /auth/token`, or the UI's session cookie): reading needs DAG read access, changing a "
    "workflow DAG edit access, replaying events access to trigger DAG runs. A workflow is named by its id or its "
    "DAG id (`wf.<client>.<key>`)."
)
STATUS_OF = {"invalid": 422, "not_found": 404, "conflict": 409, "unavailable": 503}


# -- request and response bodies --------------------------------------------------------------------------------


class Draft(BaseModel):
    """A definition: either `definition` (an object, as JSON) or `yaml` (YAML text; problems then carry lines)."""

    definition: dict[str, Any] | None = Field(default=None, description="The definition as an object.")
    yaml: str | None = Field(default=None, description="The definition as YAML text.")


class WorkflowDraft(Draft):
    allow_missing_connections: bool = Field(
        default=False,
        description="Accept connections that do not exist in Airflow yet (one of another app's type is refused).",
    )


Sample = dict[str, Any] | list[Any] | None
SAMPLE = "The trigger data to try (a webhook body, a polled record); default: the newest stored event."


class DryRunDraft(WorkflowDraft):
    """A draft (`definition` or `yaml`) or a stored `workflow`, and the sample to run it on."""

    workflow: str | None = Field(default=None, description="Id or DAG id of a stored workflow, instead of a draft.")
    sample: Sample = Field(default=None, description=SAMPLE)


class DryRunSample(BaseModel):
    sample: Sample = Field(default=None, description=SAMPLE)


class Validation(BaseModel):
    valid: bool
    checked: int = 1
    problems: list[Problem]
    warnings: list[str] = []


class ErrorAnswer(BaseModel):
    detail: str
    problems: list[Problem] = []
    warnings: list[str] = []


class ApplyAnswer(BaseModel):
    dag_id: str
    change: Literal["created", "updated", "unchanged"]
    workflow: WorkflowSummary | None
    warnings: list[str]


class Upgrade(BaseModel):
    to: str = Field(pattern=r"^[a-z][a-z0-9_]*@\d+\.\d+\.\d+$", description="APP@VERSION, e.g. shopify@2.0.0")
    dry_run: bool = False


class UpgradeOutcomeAnswer(BaseModel):
    workflow_id: int
    dag_id: str
    target: str
    changes: list[str]
    problems: list[str]
    upgraded: bool
    revision: int | None


class UpgradeAnswer(BaseModel):
    dry_run: bool
    ok: bool = Field(description="Every workflow can be migrated.")
    applied: bool = Field(description="The upgrade was committed (false for a dry run or a refusal).")
    outcomes: list[UpgradeOutcomeAnswer]


class BulkReplay(BaseModel):
    workflow: str = Field(description="Id or DAG id of the workflow.")
    since: str = Field(description="An ISO time (UTC unless it has an offset) or a duration before now: 30m, 2h, 1d.")
    dry_run: bool = False
    include_unknown_outcomes: bool = Field(
        default=False, description="Also events whose write may have been applied (check the app first)."
    )


class BulkReplayAnswer(BaseModel):
    workflow_id: int
    dag_id: str
    since: str
    dry_run: bool
    failed: list[EventSummary] = Field(description="Every failed event of the workflow in the window.")
    replayed: list[int] = Field(description="Ids put back in the queue (in a dry run: that would be).")
    left_out: list[int] = Field(description="Ids left failed: their outcome is unknown.")
    wake: WakeResult | None = Field(description="The run asked of Airflow; null for a polling workflow or a dry run.")


class EnvironmentValues(BaseModel):
    values: dict[str, Any] = Field(
        description="Values by name, typed as the app version declares them; a secret sent as `***` or null keeps "
        "its stored value, any other variable sent as null goes back to its default."
    )


class EnvironmentCopyFrom(BaseModel):
    from_version: str = Field(pattern=r"^[0-9A-Za-z.+-]+$", description="The version to copy from, e.g. 1.0.0.")


class EnvironmentCopyAnswer(BaseModel):
    copied: list[str] = Field(description="Names written to this version.")
    skipped: list[str] = Field(description="Names this version does not declare.")


# -- glue --------------------------------------------------------------------------------------------------------


def airflow_waker(settings: WebhookSettings) -> Callable[[str, int, str], WakeResult]:
    """Asks Airflow's REST API for a run of a workflow now, as the dispatcher does (a deterministic run id from the
    event; a run that exists already counts as taken)."""

    def wake(dag_id: str, event_id: int, note: str) -> WakeResult:
        from connectors.webhooks.airflow_api import EXISTS, TRIGGERED, AirflowApi
        from connectors.webhooks.dispatcher import drain_run_id

        api = AirflowApi(settings.airflow_api_url, settings.airflow_username, settings.airflow_password)
        run_id = drain_run_id(event_id)
        outcome = api.trigger(dag_id, run_id, {"woken_by_event": event_id}, note)
        return WakeResult(run_id, outcome.kind in (TRIGGERED, EXISTS), f"{outcome.kind}: {outcome.detail}")

    return wake


def access_guards(access: Callable[..., Any] | None) -> dict[str, list[Any]]:
    """Route dependencies by kind of access: Airflow's DAG permissions (`connections`: connection edit access, for
    what lends a connection's credentials; `variables`: variable edit access, for what writes an app version's
    environment, which can point its requests elsewhere), or the one dependency given instead."""
    if access is not None:
        return dict.fromkeys(("read", "edit", "delete", "run", "connections", "variables"), [Depends(access)])
    from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity
    from airflow.api_fastapi.core_api.security import (
        requires_access_connection,
        requires_access_dag,
        requires_access_variable,
    )

    def guard(method: str, entity: DagAccessEntity | None = None) -> list[Any]:
        return [Depends(ensure_auth_manager), Depends(requires_access_dag(method=method, access_entity=entity))]  # type: ignore[arg-type]

    return {
        "read": guard("GET"),
        "edit": guard("PUT"),
        "delete": guard("DELETE"),
        "run": guard("POST", DagAccessEntity.RUN),
        "connections": [Depends(ensure_auth_manager), Depends(requires_access_connection(method="PUT"))],
        "variables": [Depends(ensure_auth_manager), Depends(requires_access_variable(method="PUT"))],
    }


def _error(exc: ServiceError) -> JSONResponse:
    body = ErrorAnswer(detail=exc.message, problems=exc.problems, warnings=exc.warnings)
    return JSONResponse(body.model_dump(mode="json"), status_code=STATUS_OF.get(exc.kind, 422))


def add_management_api(
    app: FastAPI,
    receiver: Receiver,
    access: Callable[..., Any] | None,
    connection_types: Callable[[], ConnectionTypes] | None = None,
) -> None:
    """Mount the API at `/api/v1` of the receiver app, built at its first request."""
    app.mount(PREFIX, _BuiltOnFirstRequest(lambda: management_api(receiver, access, connection_types)))


def management_api(
    receiver: Receiver,
    access: Callable[..., Any] | None = None,
    connection_types: Callable[[], ConnectionTypes] | None = None,
) -> FastAPI:
    """The API as an app of its own (paths relative to `/integrations/api/v1`). `access` replaces Airflow's
    authorisation on every route (a process without Airflow's auth, e.g. a benchmark); `connection_types` makes
    the connection-type lookup of `POST /workflows` (default: Airflow's connections, as `workflows apply`)."""
    guards = access_guards(access)
    api = FastAPI(
        title=TITLE,
        version="1",
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        responses={
            401: {"model": ErrorAnswer, "description": "Not logged in"},
            403: {"model": ErrorAnswer, "description": "Not allowed by Airflow's auth manager"},
        },
    )
    api.add_exception_handler(ServiceError, lambda _request, exc: _error(exc))  # type: ignore[arg-type]

    @contextmanager
    def sessions() -> Iterator[Session]:
        from connectors.hooks.dag_parsing import parse_changed_workflows

        with session_scope(receiver.url) as session:
            yield parse_changed_workflows(session)

    def types() -> ConnectionTypes:
        if connection_types is not None:
            return connection_types()
        from connectors.hooks.connection_types import AirflowConnectionTypes

        return AirflowConnectionTypes()

    not_found = {404: {"model": ErrorAnswer, "description": "No such resource"}}
    invalid = {422: {"model": ErrorAnswer, "description": "Invalid: `problems` lists each with its path"}}

    # -- apps ----------------------------------------------------------------------------------------------------

    @api.get("/apps", tags=["apps"], dependencies=guards["read"])
    def list_apps() -> list[app_service.AppVersionSummary]:
        """Every app version in the catalog (deprecated ones with their sunset and replacement)."""
        return app_service.list_apps(receiver.catalog())

    @api.post("/apps/validate", tags=["apps"], dependencies=guards["read"])
    def validate_app(draft: Draft) -> Validation:
        """Validate a draft app version (YAML text or an object) as the catalog would; nothing is stored."""
        checked = app_service.validate_app_draft(draft.yaml, draft.definition)
        return Validation(valid=checked.valid, checked=checked.checked, problems=checked.problems)

    @api.get("/apps/usage", tags=["apps"], dependencies=guards["read"])
    def app_usage(app: str | None = Query(default=None, description="Only this app's versions.")) -> list[AppUsage]:
        """Which workflows use which app versions (trigger or step), and whether those are deprecated."""
        return app_service.app_usage(sessions, receiver.catalog(), app)

    @api.get("/apps/{app}", tags=["apps"], dependencies=guards["read"], responses=not_found)
    def newest_app(app: str) -> app_service.AppVersionDetail:
        """The newest active version of an app."""
        return app_service.show_app(receiver.catalog(), app)

    @api.get("/apps/{app}/{version}", tags=["apps"], dependencies=guards["read"], responses=not_found)
    def show_app(app: str, version: str) -> app_service.AppVersionDetail:
        """One app version: auth, properties, environment, triggers, searches, actions, and its definition."""
        return app_service.show_app(receiver.catalog(), f"{app}@{version}")

    # -- app-version environments --------------------------------------------------------------------------------

    @api.get("/apps/{app}/{version}/environment", tags=["apps"], dependencies=guards["read"], responses=not_found)
    def show_environment(app: str, version: str) -> list[EnvironmentValue]:
        """Every variable the version declares: type, required, secret, description, default, `is_set`, and its
        stored `value` — always null for a secret (`is_set` says whether it has one)."""
        spec = environment_service.app_version(receiver.catalog(), f"{app}@{version}")
        return environment_service.show_environment(spec, read_environment)

    @api.put(
        "/apps/{app}/{version}/environment",
        tags=["apps"],
        dependencies=guards["edit"] + guards["variables"],
        responses={**not_found, **invalid},
    )
    def set_environment(app: str, version: str, body: EnvironmentValues) -> list[EnvironmentValue]:
        """Store values over the stored ones (`integrations env set`) and answer the environment after; 422 with a
        problem at `environment.<name>` for each unknown name or value of the wrong type, nothing stored."""
        spec = environment_service.app_version(receiver.catalog(), f"{app}@{version}")
        return environment_service.set_environment(spec, body.values, read_environment, write_environment)

    @api.post(
        "/apps/{app}/{version}/environment/copy",
        tags=["apps"],
        dependencies=guards["edit"] + guards["variables"],
        responses={**not_found, **invalid},
    )
    def copy_environment(app: str, version: str, body: EnvironmentCopyFrom) -> EnvironmentCopyAnswer:
        """Copy another version's stored values to this one (`integrations env copy`, e.g. before upgrading);
        names this version does not declare are skipped."""
        source = environment_service.app_version(receiver.catalog(), f"{app}@{body.from_version}")
        target = environment_service.app_version(receiver.catalog(), f"{app}@{version}")
        copied, skipped = environment_service.copy_environment(source, target, read_environment, write_environment)
        return EnvironmentCopyAnswer(copied=copied, skipped=skipped)

    # -- workflows -----------------------------------------------------------------------------------------------

    @api.get("/workflows", tags=["workflows"], dependencies=guards["read"])
    def list_workflows() -> list[WorkflowSummary]:
        return workflow_service.list_workflows(sessions)

    @api.post("/workflows/validate", tags=["workflows"], dependencies=guards["read"])
    def validate_workflow(draft: WorkflowDraft) -> Validation:
        """The checks of `POST /workflows` (and `integrations workflows apply`) without storing anything."""
        lookup = types()
        _, problems = workflow_service.validate_workflow_definition(
            receiver.catalog(), draft.definition, draft.yaml, lookup, draft.allow_missing_connections
        )
        warnings = workflow_service.connection_warnings(lookup, draft.allow_missing_connections)
        return Validation(valid=not problems, problems=problems, warnings=warnings)

    def context_for() -> ContextFor:
        settings = receiver.settings
        connections = settings.connection_lookup or airflow_connections
        return lookup_context(receiver.catalog(), connections, settings.environment_lookup or airflow_environment)

    @api.post("/workflows/dry-run", tags=["workflows"], dependencies=guards["read"], responses={**not_found, **invalid})
    def dry_run_draft(body: DryRunDraft) -> DryRun:
        """Dry run of a draft (`definition` or `yaml`, checked as `POST /workflows/validate` checks it) or of a
        stored `workflow` on a `sample` (default: the newest stored event of that workflow; for a draft, of a
        stored workflow on the same trigger and connection): each condition's outcome (`would_run`), and each
        step's rendered inputs and the request it would send, without its auth. Nothing is sent. A step that reads
        an earlier step's output is `pending`; what cannot be rendered is the step's `error`. 422 for an invalid
        draft or when there is no sample; 404 for an unknown workflow."""
        lookup = None if body.workflow is not None else types()
        return dry_run_workflow(
            sessions, receiver.catalog(), body.definition, body.yaml, body.workflow, body.sample, lookup,
            body.allow_missing_connections, context_for(),
        )  # fmt: skip

    @api.post(
        "/workflows/{workflow}/dry-run",
        tags=["workflows"],
        dependencies=guards["read"],
        responses={**not_found, **invalid},
    )
    def dry_run_stored(workflow: str, body: DryRunSample | None = None) -> DryRun:
        """Dry run of a stored workflow (by id or DAG id) on `sample`, or on its newest stored event: as
        `POST /workflows/dry-run`. Nothing is sent."""
        sample = body.sample if body is not None else None
        return dry_run_workflow(
            sessions, receiver.catalog(), workflow=workflow, sample=sample, context_for=context_for()
        )

    @api.post(
        "/workflows",
        tags=["workflows"],
        dependencies=guards["edit"],
        status_code=201,
        responses={**invalid, 200: {"model": ApplyAnswer, "description": "Updated, or unchanged"}},
    )
    def apply_workflow(draft: WorkflowDraft) -> Any:
        """Create or update a workflow (by its client and key): 201 created, 200 updated or unchanged; 422 with
        every problem, nothing stored."""
        result = workflow_service.apply_workflow_definition(
            sessions, receiver.catalog(), draft.definition, draft.yaml, types(), draft.allow_missing_connections
        )
        (applied,) = result.applied
        answer = ApplyAnswer(
            dag_id=applied.dag_id, change=applied.change, workflow=applied.workflow, warnings=result.warnings
        )  # type: ignore[arg-type]
        return JSONResponse(answer.model_dump(mode="json"), status_code=201 if applied.change == "created" else 200)

    @api.get("/workflows/{workflow}", tags=["workflows"], dependencies=guards["read"], responses=not_found)
    def show_workflow(workflow: str) -> WorkflowDetail:
        """One workflow (by id or DAG id) with its stored definition."""
        return workflow_service.show_workflow(sessions, workflow)

    @api.post("/workflows/{workflow}/enable", tags=["workflows"], dependencies=guards["edit"], responses=not_found)
    def enable_workflow(workflow: str) -> WorkflowSummary:
        """Its DAG appears in Airflow at the next parse."""
        return workflow_service.set_enabled(sessions, workflow, True)

    @api.post("/workflows/{workflow}/disable", tags=["workflows"], dependencies=guards["edit"], responses=not_found)
    def disable_workflow(workflow: str) -> WorkflowSummary:
        """Its DAG disappears from Airflow at the next parse; stored events stay."""
        return workflow_service.set_enabled(sessions, workflow, False)

    @api.delete("/workflows/{workflow}", tags=["workflows"], dependencies=guards["delete"], responses=not_found)
    def delete_workflow(workflow: str) -> WorkflowSummary:
        """The workflow with its events and action log; answers what was deleted."""
        return workflow_service.delete_workflow(sessions, workflow)

    @api.post(
        "/workflows/{workflow}/upgrade",
        tags=["workflows"],
        dependencies=guards["edit"],
        responses={**not_found, 422: {"model": UpgradeAnswer, "description": "Cannot be migrated: nothing changed"}},
    )
    def upgrade_workflow(workflow: str, upgrade: Upgrade) -> UpgradeAnswer:
        """Move the workflow to another version of an app, applying that version's declared migrations; with
        `dry_run`, only say what would change. Refused (422) with every reason when something cannot be migrated."""
        report = workflow_service.upgrade_workflows(
            sessions, receiver.catalog(), upgrade.to, reference=workflow, dry_run=upgrade.dry_run
        )
        answer = UpgradeAnswer(
            dry_run=report.dry_run,
            ok=report.ok,
            applied=report.applied,
            outcomes=[
                UpgradeOutcomeAnswer(
                    **{k: v for k, v in dataclasses.asdict(o).items() if k != "dry_run"}
                    | {"upgraded": o.upgraded and report.applied, "revision": o.revision if report.applied else None}
                )
                for o in report.outcomes
            ],
        )
        if not report.ok:
            return JSONResponse(answer.model_dump(mode="json"), status_code=422)  # type: ignore[return-value]
        return answer

    @api.post(
        "/workflows/{workflow}/rollback",
        tags=["workflows"],
        dependencies=guards["edit"],
        responses={**not_found, 409: {"model": ErrorAnswer, "description": "No upgrade to undo"}},
    )
    def rollback_workflow(workflow: str) -> RollbackResult:
        """Return the workflow to its definition before the last upgrade."""
        return workflow_service.rollback_workflow(sessions, workflow)

    # -- events --------------------------------------------------------------------------------------------------

    @api.get("/events", tags=["events"], dependencies=guards["read"], responses=invalid)
    def list_events(
        workflow: str | None = Query(default=None, description="Id or DAG id of a workflow."),
        status: str | None = Query(default=None, description="received, running, done, failed, filtered, …"),
        dag_run_id: str | None = Query(default=None, description="Only the events this DAG run claimed."),
        since: str | None = Query(default=None, description="Received since: an ISO time or a duration (2h)."),
        limit: int = Query(default=event_service.DEFAULT_LIMIT, ge=1, le=event_service.MAX_LIMIT),
    ) -> list[EventSummary]:
        """The inbox, newest first."""
        moment = event_service.received_since(since) if since else None
        return event_service.list_events(sessions, workflow, status, dag_run_id, moment, limit)

    @api.post("/events/replay", tags=["events"], dependencies=guards["run"], responses={**not_found, **invalid})
    def replay_failed(replay: BulkReplay) -> BulkReplayAnswer:
        """Every failed event of a workflow received since a time back in its queue, drained by one run; events
        whose write may have been applied stay failed unless `include_unknown_outcomes`. Done and running events
        are never touched. With `dry_run`, only list them."""
        since = event_service.received_since(replay.since)
        done: BulkReplayResult = event_service.replay_failed_events(
            sessions, replay.workflow, since, airflow_waker(receiver.settings), replay.dry_run,
            replay.include_unknown_outcomes,
        )  # fmt: skip
        return BulkReplayAnswer(
            workflow_id=done.workflow_id,
            dag_id=done.dag_id,
            since=done.since.isoformat(),
            dry_run=done.dry_run,
            failed=done.failed,
            replayed=done.replayed,
            left_out=done.left_out,
            wake=done.wake,
        )

    @api.get("/events/{event_id}", tags=["events"], dependencies=guards["read"], responses=not_found)
    def show_event(event_id: int) -> EventDetail:
        """One event: payload, headers (none that can carry a credential), its run, and each step's action-log
        entry (what was sent — never auth — and what came back, or the error)."""
        return event_service.show_event(sessions, event_id)

    @api.post(
        "/events/{event_id}/replay",
        tags=["events"],
        dependencies=guards["run"],
        responses={**not_found, 409: {"model": ErrorAnswer, "description": "A run holds the event now"}},
    )
    def replay_event(event_id: int) -> ReplayResult:
        """Put the event back in its workflow's queue and wake the workflow (a polling workflow's next run takes
        it). Steps already done are not sent again."""
        return event_service.replay_event(sessions, event_id, airflow_waker(receiver.settings))

    # -- status --------------------------------------------------------------------------------------------------

    @api.get("/status", tags=["status"], dependencies=guards["read"])
    def status() -> PlatformStatus:
        """Airflow's components, the inbox backlog, failed events and open circuits (`integrations status`)."""
        return platform_status(receiver.health.read)

    # -- its description -----------------------------------------------------------------------------------------

    def mounted_at(request: Request) -> str:
        return str(request.scope.get("root_path", "")).rstrip("/")

    async def openapi_json(request: Request) -> JSONResponse:
        root = mounted_at(request)
        schema = api.openapi()
        return JSONResponse({**schema, "servers": [{"url": root}]} if root else schema)

    async def swagger(request: Request) -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=mounted_at(request) + "/openapi.json", title=TITLE)

    add_app_builder_routes(api, guards, receiver)  # POST /apps, POST /apps/try

    for path, endpoint in (("/openapi.json", openapi_json), ("/docs", swagger)):
        api.add_api_route(path, endpoint, methods=["GET"], dependencies=guards["read"], include_in_schema=False)
    return api


__all__ = ["PREFIX", "StepEntry", "access_guards", "add_management_api", "airflow_waker", "management_api"]
