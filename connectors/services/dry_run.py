"""Dry run of a workflow on a sample event: each condition's outcome, each step's rendered inputs and the request
it would send, without sending anything (no auth is applied: credentials are never part of the answer).

The workflow is a draft (as `validate_workflow_definition` takes it) or a stored one; the sample is the payload
the caller gives, else the newest stored event of that workflow (for a draft: of a stored workflow on the same
trigger app version, trigger and connection). A step whose inputs read an earlier step's output is reported as
pending: that output exists only once the earlier step is sent. The connection's custom properties and the app
version's environment come from `context_for(app_ref, connection_id)`, which the face supplies (Airflow's
Connections and Variables); declared secrets are shown as `***`, whatever it returns.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from connectors.registry.models import Event, Workflow
from connectors.runtime.conditions import ConditionOutcome, evaluate_conditions, outcomes
from connectors.runtime.errors import ConfigurationError
from connectors.runtime.http.client import ConnectionValues
from connectors.runtime.http.request import RenderedRequest, render_request
from connectors.runtime.mapping import render_mapping
from connectors.runtime.redaction import secrets
from connectors.runtime.templating import TemplateError, render_text, render_value
from connectors.runtime.values import coerce, resolve_values
from connectors.services.drafts import DRAFT
from connectors.services.errors import Problem, ServiceError
from connectors.services.sessions import SessionFactory
from connectors.services.workflows import connection_warnings, found, validate_workflow_definition
from connectors.spec import AppVersionSpec, Catalog
from connectors.spec.base import RequestSpec
from connectors.spec.templates import iter_templates, referenced_names
from connectors.workflows.engine import step_context
from connectors.workflows.spec import StepSpec, WorkflowSpec
from connectors.workflows.store import workflow_spec
from connectors.workflows.validation import ConnectionTypes

MASK = "***"
EVENTS_LOOKED_AT = 50  # the newest events whose payload may be JSON

ContextFor = Callable[[str, str], Mapping[str, Any]]
"""(app@version, connection id) -> {"properties": {...}, "env": {...}}: the values templates may read, no secrets."""


@dataclass(frozen=True)
class Sample:
    source: str  # given | event <id> | declared (the trigger's `sample`)
    payload: Any


@dataclass(frozen=True)
class ConditionResult:
    field: str
    operator: str
    value: Any
    holds: bool
    actual: Any = None
    missing: bool = False  # the field is not in the sample at all


@dataclass(frozen=True)
class ConditionsResult:
    passed: bool
    all: list[ConditionResult]
    any: list[ConditionResult]


@dataclass(frozen=True)
class RequestPreview:
    """What would be sent, before the app's auth is applied (auth headers, query and cookies are added when sent)."""

    method: str
    url: str
    params: dict[str, Any]
    headers: dict[str, str]
    json: Any = None
    form: dict[str, Any] | None = None


@dataclass(frozen=True)
class SearchFirstPreview:
    """The search an action makes first (find-or-create, find-then-update)."""

    search: str
    mode: str
    request: RequestPreview | None = None


@dataclass(frozen=True)
class StepPreview:
    key: str
    kind: str  # action | search
    app: str
    operation: str
    connection: str
    inputs: Any = None
    request: RequestPreview | None = None
    search_first: SearchFirstPreview | None = None
    pending: str | None = None  # needs an earlier step's output
    error: str | None = None  # what could not be rendered, and why


@dataclass(frozen=True)
class DryRun:
    dag_id: str
    would_run: bool  # the sample passes the conditions
    sample: Sample
    conditions: ConditionsResult
    steps: list[StepPreview]
    warnings: list[str]


def dry_run_workflow(
    sessions: SessionFactory,
    catalog: Catalog,
    definition: Any = None,
    yaml_text: str | None = None,
    workflow: str | None = None,
    sample: Any = None,
    connection_types: ConnectionTypes | None = None,
    allow_missing_connections: bool = False,
    context_for: ContextFor | None = None,
) -> DryRun:
    """Conditions and steps of a draft (`definition` or `yaml_text`) or a stored `workflow` (id or DAG id) on
    `sample` (else the newest stored event); nothing is sent. An invalid draft, or no sample at all: `ServiceError`
    (invalid, with its problems); an unknown workflow: not_found."""
    warnings: list[str] = []
    if workflow is not None:
        if definition is not None or yaml_text is not None:
            raise ServiceError("give either a draft definition or a stored workflow, not both")
        with sessions() as session:
            row = found(session, workflow)
            spec, workflow_id = workflow_spec(row), row.id
    else:
        checked, problems = validate_workflow_definition(
            catalog, definition, yaml_text, connection_types, allow_missing_connections
        )
        warnings = connection_warnings(connection_types, allow_missing_connections)
        if problems or checked is None:
            raise ServiceError(f"not valid: {len(problems)} error(s)", "invalid", problems, warnings)
        spec, workflow_id = checked, None
    chosen = _sample(sessions, spec, workflow_id, sample, catalog)
    conditions = _conditions(spec, chosen.payload)
    steps = preview_steps(spec, chosen.payload, catalog, context_for)
    return DryRun(spec.dag_id, conditions.passed, chosen, conditions, steps, warnings)


# -- the sample -----------------------------------------------------------------------------------------------------


def _sample(
    sessions: SessionFactory, spec: WorkflowSpec, workflow_id: int | None, given: Any, catalog: Catalog
) -> Sample:
    if given is not None:
        return Sample("given", given)
    app, _, version = spec.trigger.app.partition("@")
    with sessions() as session:
        if workflow_id is not None:
            owners = [workflow_id]
            where = f"{spec.dag_id} has no stored event"
        else:
            owners = list(
                session.scalars(
                    select(Workflow.id).where(
                        Workflow.trigger_app == app,
                        Workflow.trigger_version == version,
                        Workflow.trigger_key == spec.trigger.key,
                        Workflow.trigger_connection == spec.trigger.connection,
                    )
                )
            )
            where = (f"no stored workflow on {spec.trigger.app} {spec.trigger.key} ({spec.trigger.connection}) "
                     "has an event")  # fmt: skip
        newest = session.execute(
            select(Event.id, Event.payload)
            .where(Event.workflow_id.in_(owners))
            .order_by(Event.id.desc())
            .limit(EVENTS_LOOKED_AT)
        ).all()
        for event_id, payload in newest:
            try:
                return Sample(f"event {event_id}", json.loads(payload))
            except ValueError:
                continue
    trigger = catalog.get(spec.trigger.app).triggers.get(spec.trigger.key)
    if trigger is not None and trigger.sample is not None:
        return Sample("declared", trigger.sample)
    message = f"no sample event: {where}, and its trigger declares no sample; give a sample payload"
    raise ServiceError(message, "invalid", [Problem(DRAFT, "sample", message)])


def _conditions(spec: WorkflowSpec, data: Any) -> ConditionsResult:
    passed, _ = evaluate_conditions(spec.conditions, data)
    return ConditionsResult(
        passed, _results(outcomes(spec.conditions.all, data)), _results(outcomes(spec.conditions.any, data))
    )


def _results(found: list[ConditionOutcome]) -> list[ConditionResult]:
    return [
        ConditionResult(o.condition.field, o.condition.operator, o.condition.value, o.holds, o.actual, o.missing)
        for o in found
    ]


# -- the steps ------------------------------------------------------------------------------------------------------


def preview_steps(
    spec: WorkflowSpec, trigger_data: Any, catalog: Catalog, context_for: ContextFor | None = None
) -> list[StepPreview]:
    """Each step rendered on `trigger_data`, in order; a step that reads an earlier one's output is pending."""
    context = step_context(spec, trigger_data, {})
    previews, earlier = [], []
    for step in spec.steps:
        previews.append(_preview(step, context, earlier, catalog, context_for))
        earlier.append(step.key)
    return previews


def _preview(
    step: StepSpec, context: dict[str, Any], earlier: list[str], catalog: Catalog, context_for: ContextFor | None
) -> StepPreview:
    preview = {"key": step.key, "kind": step.kind, "app": step.app, "operation": step.operation,
               "connection": step.connection}  # fmt: skip
    needed = _earlier_outputs(step, earlier)
    if needed:
        what = f"step {needed[0]}, known only when it is sent" if len(needed) == 1 else (
            f"steps {', '.join(needed)}, known only when they are sent")  # fmt: skip
        return StepPreview(**preview, pending=f"needs the output of {what}")
    try:
        inputs = render_mapping(step.inputs, context)
    except TemplateError as exc:
        return StepPreview(**preview, error=f"inputs: {exc}")
    try:
        app = catalog.get(step.app)
    except KeyError as exc:
        return StepPreview(**preview, inputs=inputs, error=str(exc.args[0]))
    render = _Renderer(app, step.connection, context_for)
    if step.kind == "search":
        request, error = render.search(step.operation, inputs)
        return StepPreview(**preview, inputs=inputs, request=request, error=error)
    action = app.actions[step.operation]
    request, error = render(action.inputs, action.request, f"action '{step.operation}'", inputs)
    first = None
    if action.search_first is not None and error is None:
        search = action.search_first
        try:
            values = resolve_values(action.inputs, inputs, "")  # they rendered the request above
            search_inputs = render_value(search.inputs, {"inputs": values})
        except (ConfigurationError, TemplateError) as exc:
            return StepPreview(**preview, inputs=inputs, request=request, error=f"search_first: {exc}")
        searched, error = render.search(search.search, search_inputs)
        first = SearchFirstPreview(search.search, search.mode, searched)
    return StepPreview(**preview, inputs=inputs, request=request, search_first=first, error=error)


def _earlier_outputs(step: StepSpec, earlier: list[str]) -> list[str]:
    """The earlier steps whose output the step's input templates read (all of them for `steps` as a whole)."""
    read: set[str | None] = set()
    for _, template in iter_templates(step.inputs):
        try:
            read |= {attribute for namespace, attribute in referenced_names(template) if namespace == "steps"}
        except TemplateError:
            continue  # rendering says what is wrong with it
    return [key for key in earlier if key in read or None in read]


class _Renderer:
    """Requests of one app version for one connection, rendered as the client renders them
    (`AppClient.template_context`: auth, properties, env, inputs), auth values masked, the auth not applied."""

    def __init__(self, app: AppVersionSpec, connection: str, context_for: ContextFor | None) -> None:
        self.app, self.connection = app, connection
        self.names, self.note = _template_names(app, connection, context_for)

    def search(self, key: str, inputs: Any) -> tuple[RequestPreview | None, str | None]:
        search = self.app.searches[key]
        return self(search.inputs, search.request, f"search '{key}'", inputs)

    def __call__(
        self, declared: Mapping[str, Any], spec: RequestSpec, what: str, inputs: Any
    ) -> tuple[RequestPreview | None, str | None]:
        """The request, or why it cannot be rendered."""
        app = self.app
        supplied = inputs if isinstance(inputs, Mapping) else {}
        try:
            values = resolve_values(declared, supplied, f"inputs of {what} in {app.ref}")
        except ConfigurationError as exc:
            return None, str(exc)
        auth = dict.fromkeys(app.auth.credential_fields(), MASK) | dict.fromkeys(_read(app, spec, "auth"), MASK)
        try:
            base_url = render_text(app.base_url, self.names)
            graphql_url = app.graphql.url if app.graphql else None
            rendered = render_request(spec, {**self.names, "auth": auth, "inputs": values}, base_url, graphql_url)
        except (TemplateError, ConfigurationError) as exc:
            return None, self._missing(spec) or str(exc)
        return _shown(rendered), None

    def _missing(self, spec: RequestSpec) -> str | None:
        """The properties and environment names the request reads that have no value here, said for a person."""
        missing = [f"{space}.{name}" for space in ("properties", "env") for name in sorted(_read(self.app, spec, space))
                   if name not in self.names[space]]  # fmt: skip
        if not missing:
            return None
        where = f"no value in connection '{self.connection}' or the environment of {self.app.ref}"
        return f"needs {', '.join(missing)}: {self.note or where}"


def _shown(request: RenderedRequest) -> RequestPreview:
    return RequestPreview(request.method, request.url, request.params, request.headers, request.json, request.data)


def _templates(app: AppVersionSpec, spec: RequestSpec) -> Iterator[str]:
    yield app.base_url
    for _, template in iter_templates(spec.model_dump(mode="python")):
        yield template


def _read(app: AppVersionSpec, spec: RequestSpec, namespace: str) -> set[str]:
    """The attributes of `namespace` the base URL and the request's templates read."""
    names = set()
    for template in _templates(app, spec):
        try:
            names |= {attr for space, attr in referenced_names(template) if space == namespace and attr is not None}
        except TemplateError:
            continue
    return names


def _template_names(
    app: AppVersionSpec, connection: str, context_for: ContextFor | None
) -> tuple[dict[str, Any], str | None]:
    """`properties` and `env` as the client resolves them (supplied, else default, else None when optional; a
    required one without a value is left out, so a template reading it fails and names it); secrets masked."""
    supplied: Mapping[str, Any] = {}
    note = None if context_for is not None else "connections and environments are not read in this dry run"
    if context_for is not None:
        try:
            supplied = context_for(app.ref, connection)
        except Exception as exc:  # a connection or Variable that cannot be read: render without them, say why
            note = secrets.redact(f"connection '{connection}' could not be read: {type(exc).__name__}: {exc}")
    properties = _known(app.properties, supplied.get("properties") or {}, lambda p: p.type == "secret")
    env = _known(app.environment, supplied.get("env") or {}, lambda v: bool(v.secret))
    return {"properties": properties, "env": env}, note


def _known(declared: Mapping[str, Any], supplied: Mapping[str, Any], is_secret: Callable[[Any], bool]) -> dict:
    known: dict[str, Any] = {}
    for name, declaration in declared.items():
        if is_secret(declaration):
            known[name] = MASK
            continue
        value = supplied.get(name)
        if value in (None, ""):
            value = declaration.default
        if value is not None:
            known[name] = coerce(declaration.type, value)
        elif not declaration.required:
            known[name] = None
    return known


# -- the faces' connection values ----------------------------------------------------------------------------------


def lookup_context(
    catalog: Catalog,
    connections: Callable[[AppVersionSpec, str], ConnectionValues | None],
    environment: Callable[[AppVersionSpec], Mapping[str, Any]],
) -> ContextFor:
    """A `context_for` over a connection lookup and an environment lookup (the receiver's, which read Airflow's
    Connections and Variables): custom properties and environment values, never a credential or a secret."""

    def context_for(app_ref: str, connection_id: str) -> dict[str, Any]:
        app = catalog.get(app_ref)
        values = connections(app, connection_id)
        properties = dict(values.properties) if values is not None else {}
        env = environment(app)
        return {
            "properties": {n: v for n, v in properties.items() if n in app.properties
                           and app.properties[n].type != "secret"},
            "env": {n: v for n, v in env.items() if n in app.environment and not app.environment[n].secret},
        }  # fmt: skip

    return context_for
