"""Workflows in the registry: apply YAML files (all or nothing), list, show, enable, disable, delete."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.registry.dag_ids import parse_dag_id
from connectors.registry.models import Workflow, WorkflowStep
from connectors.spec import AppDefinitionError, Catalog
from connectors.workflows.spec import WorkflowSpec
from connectors.workflows.validation import ConnectionTypes, load_workflow


def load_workflow_files(paths: Iterable[Path], catalog: Catalog) -> list[WorkflowSpec]:
    """Validate every file first; raise one `AppDefinitionError` with every issue of every file."""
    return [spec for _, spec in load_workflow_paths(paths, catalog)]


def load_workflow_paths(
    paths: Iterable[Path],
    catalog: Catalog,
    connection_types: ConnectionTypes | None = None,
    allow_missing_connections: bool = False,
) -> list[tuple[Path, WorkflowSpec]]:
    """Like `load_workflow_files`, keeping each workflow's file for later messages; with `connection_types`, the
    connections are checked too (`load_workflow`)."""
    loaded, issues = [], []
    for path in paths:
        try:
            loaded.append((path, load_workflow(path, catalog, connection_types, allow_missing_connections)))
        except AppDefinitionError as exc:
            issues.extend(exc.issues)
    if issues:
        raise AppDefinitionError(issues)
    return loaded


def _split_app(reference: str) -> tuple[str, str]:
    app, _, version = reference.partition("@")
    return app, version


def upsert_workflow(session: Session, spec: WorkflowSpec) -> tuple[Workflow, str]:
    """Insert or update the row for (client, key); the revision grows when the definition changes."""
    definition = spec.model_dump(mode="json", by_alias=True)
    row = session.scalar(select(Workflow).where(Workflow.client == spec.client, Workflow.key == spec.key))
    if row is not None and row.definition == definition:
        return row, "unchanged"
    change = "created" if row is None else "updated"
    if row is None:
        row = Workflow(client=spec.client, key=spec.key, revision=0)
        session.add(row)
    trigger_app, trigger_version = _split_app(spec.trigger.app)
    row.name, row.description, row.enabled = spec.name, spec.description, spec.enabled
    row.trigger_app, row.trigger_version = trigger_app, trigger_version
    row.trigger_connection, row.trigger_key = spec.trigger.connection, spec.trigger.key
    row.trigger_parameters, row.conditions = spec.trigger.parameters, spec.conditions.model_dump(mode="json")
    row.schedule, row.start_date = spec.schedule, spec.start_date
    row.definition, row.revision = definition, (row.revision or 0) + 1
    if row.steps:  # delete the old steps first: the new ones reuse their (workflow, key)
        row.steps.clear()
        session.flush()
    row.steps = [
        WorkflowStep(
            position=position,
            key=step.key,
            app=_split_app(step.app)[0],
            version=_split_app(step.app)[1],
            connection=step.connection,
            kind=step.kind,
            operation=step.operation,
            inputs=step.inputs,
            options={"required": step.required},
        )
        for position, step in enumerate(spec.steps)
    ]
    return row, change


def apply_workflows(session: Session, specs: Sequence[WorkflowSpec]) -> list[tuple[str, str]]:
    """Upsert validated workflows in the caller's transaction; returns (dag_id, created|updated|unchanged)."""
    results = []
    for spec in specs:
        row, change = upsert_workflow(session, spec)
        session.flush()
        results.append((row.dag_id, change))
    return results


def find_workflow(session: Session, reference: str) -> Workflow:
    """By id, dag_id (`wf.client.key`) or `client/key`."""
    query = select(Workflow)
    if reference.isdigit():
        query = query.where(Workflow.id == int(reference))
    else:
        client, _, key = reference.partition("/")
        parsed = parse_dag_id(reference)
        if parsed:
            client, key = parsed
        query = query.where(Workflow.client == client, Workflow.key == key)
    row = session.scalar(query)
    if row is None:
        raise LookupError(f"no workflow '{reference}' (give an id, a dag_id or client/key)")
    return row


def workflow_spec(row: Workflow) -> WorkflowSpec:
    return WorkflowSpec.model_validate(row.definition)
