"""Check a workflow against the app versions it references, before anything is stored."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from connectors.get_provider_info import connection_type
from connectors.runtime.mapping import FOR_EACH, is_for_each
from connectors.runtime.values import coerce
from connectors.spec import AppDefinitionError, Catalog, SpecIssue
from connectors.spec.app_version import AppVersionSpec
from connectors.spec.base import TypedFieldSpec, describe_type_mismatch
from connectors.spec.conditions import ConditionsSpec
from connectors.spec.documents import line_of, load_document
from connectors.spec.errors import format_path
from connectors.spec.references import check_template_names, declared_names
from connectors.spec.templates import is_template
from connectors.spec.triggers import OutputFieldSpec
from connectors.workflows.spec import WorkflowSpec

Problem = tuple[tuple[str | int, ...], str]
BEFORE_THIS_STEP = "which is not defined before this step"
_YAML_TIME = (dt.date, dt.time)  # what YAML makes of an unquoted 2026-11-01 or 10:00:00 (dt.datetime is a date)

ConnectionTypes = Callable[[str], str | None]
"""The type of a connection (`integrations_shopify`), None when it does not exist; raises `ConnectionsUnreadable`
when it cannot tell now. The command line passes one that asks Airflow."""


class ConnectionsUnreadable(Exception):
    """The connections cannot be looked up now (e.g. Airflow's metadata database is not set up): not checked."""


def load_workflow(
    path: Path,
    catalog: Catalog,
    connection_types: ConnectionTypes | None = None,
    allow_missing_connections: bool = False,
) -> WorkflowSpec:
    """Parse, validate and cross-check one workflow file; raise `AppDefinitionError` listing every issue. With
    `connection_types`, every connection must exist (unless missing ones are allowed) and be of its app's type."""
    document, spec = load_document(path, WorkflowSpec)
    problems = check_workflow(spec, catalog, connection_types, allow_missing_connections)
    if problems:
        raise AppDefinitionError(
            SpecIssue(str(path), format_path(parts), message, line_of(document, parts)) for parts, message in problems
        )
    return spec


def _app(catalog: Catalog, reference: str, where: tuple[str | int, ...]) -> tuple[AppVersionSpec | None, list[Problem]]:
    try:
        return catalog.get(reference), []
    except KeyError as exc:
        return None, [((*where, "app"), str(exc.args[0]))]


def check_workflow(
    spec: WorkflowSpec,
    catalog: Catalog,
    connection_types: ConnectionTypes | None = None,
    allow_missing_connections: bool = False,
) -> list[Problem]:
    problems: list[Problem] = []
    check_connection = partial(_check_connection, types=connection_types, allow_missing=allow_missing_connections)
    trigger_app, found = _app(catalog, spec.trigger.app, ("trigger",))
    problems += found
    fields: set[str] | None = None  # what the trigger outputs; None: not declared, any field may be there
    undeclared = {
        "steps": BEFORE_THIS_STEP,
        "params": "which is not a parameter of the trigger",
        "tables": "which is not one of the workflow's lookup_tables",
    }
    trigger_output: dict[str, OutputFieldSpec] = {}
    if trigger_app is not None:
        problems += _check_trigger(spec, trigger_app)
        problems += check_connection(("trigger",), spec.trigger.connection, trigger_app)
        trigger = trigger_app.triggers.get(spec.trigger.key)
        fields = set(trigger.output) if trigger is not None and trigger.output else None
        trigger_output = dict(trigger.output) if trigger is not None else {}
        source = f"trigger '{spec.trigger.key}' of {trigger_app.ref}"
        undeclared["trigger"] = f"which {source} does not output"
        problems += _check_condition_fields(spec.conditions, fields, source)
    earlier: set[str] = set()
    step_inputs: dict[str, dict[str, TypedFieldSpec]] = {}
    tables = set(spec.lookup_tables)
    for index, step in enumerate(spec.steps):
        where: tuple[str | int, ...] = ("steps", index)
        app, found = _app(catalog, step.app, where)
        problems += found
        if app is not None:
            problems += _check_step_inputs(step.kind, step.operation, step.inputs, app, where)
            action = app.actions.get(step.operation) if step.kind == "action" else None
            if action is not None and action.bulk is not None and len(spec.steps) > 1:
                problems.append(((*where, "action"), f"'{step.operation}' is a bulk action (many events per request): "
                                 "it must be the workflow's only step"))  # fmt: skip
            problems += check_connection(where, step.connection, app)
            operation = (app.actions if step.kind == "action" else app.searches).get(step.operation)
            step_inputs[step.key] = dict(operation.inputs) if operation is not None else {}
        scope = {"trigger": fields, "params": set(spec.trigger.parameters), "steps": set(earlier), "tables": tables}
        problems += _check_mapping((*where, "inputs"), step.inputs, scope, undeclared)
        earlier.add(step.key)
    problems += _check_lookup_tables(spec, trigger_output, step_inputs)
    return problems


def _check_lookup_tables(
    spec: WorkflowSpec, trigger_output: dict[str, OutputFieldSpec], step_inputs: dict[str, dict[str, TypedFieldSpec]]
) -> Iterator[Problem]:
    """Each table against the vocabularies it names: a row for every key the trigger field can hold (unless there
    is a fallback), no row for a key it cannot, and only values the step input accepts."""
    for name, table in spec.lookup_tables.items():
        where: tuple[str | int, ...] = ("lookup_tables", name)
        if table.keys is not None:
            field_name = table.keys.removeprefix("trigger.")
            field = trigger_output.get(field_name)
            if not table.keys.startswith("trigger.") or field is None or not field.choices:
                yield (*where, "keys"), (f"{table.keys!r} is not a trigger output declaring choices "
                                         f"(write trigger.<field>; the trigger's fields: "
                                         f"{', '.join(sorted(trigger_output)) or 'none declared'})")  # fmt: skip
            else:
                choices = [str(choice) for choice in field.choices]
                unknown = [key for key in table.rows if key not in choices]
                if unknown:
                    yield (*where, "rows"), f"{', '.join(unknown)}: not a value trigger field '{field_name}' can hold"
                missing = [choice for choice in choices if choice not in table.rows]
                if missing and not table.has_fallback:
                    yield (*where, "rows"), (f"no row for {', '.join(missing)} (values of trigger field "
                                             f"'{field_name}'): add them, or a fallback")  # fmt: skip
        if table.values is not None:
            step_key, _, input_name = table.values.removeprefix("steps.").partition(".")
            target = step_inputs.get(step_key, {}).get(input_name)
            if not table.values.startswith("steps.") or target is None or not target.choices:
                yield (*where, "values"), (f"{table.values!r} is not a step input declaring choices "
                                           "(write steps.<step key>.<input>)")  # fmt: skip
            else:
                values = list(table.rows.values()) + ([table.fallback] if table.has_fallback else [])
                wrong = sorted({str(value) for value in values if str(value) not in target.choices})
                if wrong:
                    accepted = ", ".join(target.choices)
                    yield (*where, "rows"), f"{', '.join(wrong)}: not accepted by input '{table.values}' ({accepted})"


def _check_trigger(spec: WorkflowSpec, app: AppVersionSpec) -> Iterator[Problem]:
    trigger = app.triggers.get(spec.trigger.key)
    if trigger is None:
        known = ", ".join(sorted(app.triggers)) or "none"
        yield ("trigger", "key"), f"{app.ref} has no trigger '{spec.trigger.key}' (triggers: {known})"
        return
    if trigger.type == "polling" and not spec.schedule:
        yield ("schedule",), f"polling trigger '{spec.trigger.key}' needs a schedule (cron or preset such as @hourly)"
    if trigger.type == "webhook" and spec.schedule:
        yield ("schedule",), f"webhook trigger '{spec.trigger.key}' runs when events arrive; remove the schedule"
    if spec.quality and trigger.type != "polling":
        yield ("quality",), "a quality gate applies to polled batches only"


def _check_step_inputs(
    kind: str, operation: str, inputs: dict[str, Any], app: AppVersionSpec, where: tuple[str | int, ...]
) -> Iterator[Problem]:
    operations = app.actions if kind == "action" else app.searches
    target = operations.get(operation)
    if target is None:
        known = ", ".join(sorted(operations)) or "none"
        plural = "actions" if kind == "action" else "searches"
        if not operation:
            yield (*where, kind), f"choose one of {app.ref}'s {plural}: {known}"
        else:
            yield (*where, kind), f"{app.ref} has no {kind} '{operation}' ({plural}: {known})"
        return
    for name, value in inputs.items():
        if name not in target.inputs:
            yield (*where, "inputs", name), f"{kind} '{operation}' has no input '{name}'"
            continue
        problem = _literal_type_problem(target.inputs[name], value)
        if problem:
            yield (*where, "inputs", name), f"{problem} (input '{name}' of {kind} '{operation}')"
    for name, field in target.inputs.items():
        if field.required and field.default is None and name not in inputs:
            yield (*where, "inputs"), f"required input '{name}' of {kind} '{operation}' is not mapped"


def _literal_type_problem(field: TypedFieldSpec, value: Any) -> str | None:
    """Why a value written in the workflow cannot be the input's type, judged as the run judges it (text that
    reads as the type is converted). A template's type is known only when it renders; null and "" mean the
    default."""
    if is_for_each(value):
        return None if field.type == "array" else f"for_each builds a list, not a value of type {field.type}"
    if value is None or value == "" or (isinstance(value, str) and is_template(value)) or isinstance(value, _YAML_TIME):
        return None  # a YAML date is reported by `_check_mapping`, wherever it is
    return describe_type_mismatch(field.type, coerce(field.type, value), field.choices)


def _check_condition_fields(conditions: ConditionsSpec, fields: set[str] | None, source: str) -> Iterator[Problem]:
    """A condition's dotted path starts at a field the trigger outputs (below it, anything may be there)."""
    if fields is None:
        return
    for group in ("all", "any"):
        for index, condition in enumerate(getattr(conditions, group)):
            path = condition.field.removeprefix("$.")  # as `dig` reads it; '' and '$' are the whole payload
            if path not in ("", "$") and not any(path == name or path.startswith(f"{name}.") for name in fields):
                hint = declared_names(path.split(".")[0], fields)
                yield ("conditions", group, index, "field"), f"{path!r} is not a field {source} outputs {hint}"


def _check_connection(
    where: tuple[str | int, ...], conn_id: str, app: AppVersionSpec, types: ConnectionTypes | None, allow_missing: bool
) -> Iterator[Problem]:
    """The connection exists (unless missing ones are allowed) and is not another app's."""
    if types is None:
        return
    try:
        actual = types(conn_id)
    except ConnectionsUnreadable:
        return
    expected = connection_type(app.app.key)
    if actual is None and not allow_missing:
        fix = f"create one of type '{expected}' first, or apply with --allow-missing-connections"
        yield (*where, "connection"), f"no Airflow connection '{conn_id}' exists ({fix})"
    elif actual is not None and actual != expected and actual.startswith(connection_type("")):
        # another app's connection: its fields are not this app's; a generic type (`http`, `integrations`) runs
        needs = f"{app.ref} needs a connection of type '{expected}'"
        yield (*where, "connection"), f"connection '{conn_id}' is of type '{actual}'; {needs}"


def _check_mapping(
    base: tuple[str | int, ...], value: Any, scope: dict[str, set[str] | None], undeclared: dict[str, str]
) -> Iterator[Problem]:
    """Templates of a step's inputs; inside `for_each`, the element (`as`) and `index` are in scope too."""
    if is_for_each(value):
        yield from check_template_names((*base, FOR_EACH), value[FOR_EACH], scope, undeclared)
        inner = {**scope, str(value.get("as", "item")): None, "index": None}
        yield from _check_mapping((*base, "map"), value.get("map", {}), inner, undeclared)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _check_mapping((*base, key), item, scope, undeclared)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _check_mapping((*base, index), item, scope, undeclared)
    elif isinstance(value, _YAML_TIME):
        yield base, f"YAML reads {value.isoformat()} as a date, which a workflow cannot store: quote it as text"
    else:
        yield from check_template_names(base, value, scope, undeclared)
