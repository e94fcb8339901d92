"""Check a workflow against the app versions it references, before anything is stored."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from connectors.runtime.mapping import FOR_EACH, is_for_each
from connectors.spec import AppDefinitionError, Catalog, SpecIssue
from connectors.spec.app_version import AppVersionSpec
from connectors.spec.documents import line_of, load_document
from connectors.spec.errors import format_path
from connectors.spec.references import check_template_names
from connectors.workflows.spec import WorkflowSpec

Problem = tuple[tuple[str | int, ...], str]
BEFORE_THIS_STEP = "which is not defined before this step"


def load_workflow(path: Path, catalog: Catalog) -> WorkflowSpec:
    """Parse, validate and cross-check one workflow file; raise `AppDefinitionError` listing every issue."""
    document, spec = load_document(path, WorkflowSpec)
    problems = check_workflow(spec, catalog)
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


def check_workflow(spec: WorkflowSpec, catalog: Catalog) -> list[Problem]:
    problems: list[Problem] = []
    trigger_app, found = _app(catalog, spec.trigger.app, ("trigger",))
    problems += found
    if trigger_app is not None:
        problems += _check_trigger(spec, trigger_app)
    earlier: set[str] = set()
    for index, step in enumerate(spec.steps):
        where: tuple[str | int, ...] = ("steps", index)
        app, found = _app(catalog, step.app, where)
        problems += found
        if app is not None:
            problems += _check_step_inputs(step.kind, step.operation, step.inputs, app, where)
        scope = {"trigger": None, "params": set(spec.trigger.parameters), "steps": set(earlier)}
        problems += _check_mapping((*where, "inputs"), step.inputs, scope)
        earlier.add(step.key)
    return problems


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
        yield (*where, kind), f"{app.ref} has no {kind} '{operation}' ({kind}s: {known})"
        return
    for name in inputs:
        if name not in target.inputs:
            yield (*where, "inputs", name), f"{kind} '{operation}' has no input '{name}'"
    for name, field in target.inputs.items():
        if field.required and field.default is None and name not in inputs:
            yield (*where, "inputs"), f"required input '{name}' of {kind} '{operation}' is not mapped"


def _check_mapping(base: tuple[str | int, ...], value: Any, scope: dict[str, set[str] | None]) -> Iterator[Problem]:
    """Templates of a step's inputs; inside `for_each`, the element (`as`) and `index` are in scope too."""
    if is_for_each(value):
        yield from check_template_names((*base, FOR_EACH), value[FOR_EACH], scope, BEFORE_THIS_STEP)
        inner = {**scope, str(value.get("as", "item")): None, "index": None}
        yield from _check_mapping((*base, "map"), value.get("map", {}), inner)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _check_mapping((*base, key), item, scope)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _check_mapping((*base, index), item, scope)
    else:
        yield from check_template_names(base, value, scope, BEFORE_THIS_STEP)
