"""Workflows: list, show, validate (files or definitions sent as data), apply, enable, disable, delete, upgrade
(with a dry run) and roll back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.registry.models import Workflow
from connectors.services.drafts import DRAFT, Draft, DraftRefused
from connectors.services.errors import Problem, ServiceError, problems_of
from connectors.services.sessions import SessionFactory
from connectors.spec import AppDefinitionError, Catalog
from connectors.spec.errors import format_path
from connectors.workflows.lifecycle import app_refs, check_new_deprecated_uses
from connectors.workflows.spec import WorkflowSpec
from connectors.workflows.store import (
    apply_workflows,
    find_workflow,
    load_workflow_paths,
    upsert_workflow,
    workflow_spec,
)
from connectors.workflows.upgrade import plan_upgrade
from connectors.workflows.validation import ConnectionTypes, check_workflow


@dataclass(frozen=True)
class WorkflowSummary:
    id: int
    client: str
    key: str
    dag_id: str
    name: str | None
    enabled: bool
    revision: int
    trigger_app: str
    trigger_version: str
    trigger_key: str
    trigger_connection: str
    schedule: str | None

    @property
    def trigger(self) -> str:
        return f"{self.trigger_app}@{self.trigger_version} {self.trigger_key}"


@dataclass(frozen=True)
class WorkflowDetail(WorkflowSummary):
    definition: dict[str, Any] = field(default_factory=dict)
    can_roll_back: bool = False  # an upgrade left the definition before it


def summary(row: Workflow) -> WorkflowSummary:
    return WorkflowSummary(
        id=row.id,
        client=row.client,
        key=row.key,
        dag_id=row.dag_id,
        name=row.name,
        enabled=row.enabled,
        revision=row.revision,
        trigger_app=row.trigger_app,
        trigger_version=row.trigger_version,
        trigger_key=row.trigger_key,
        trigger_connection=row.trigger_connection,
        schedule=row.schedule,
    )


def _detail(row: Workflow) -> WorkflowDetail:
    return WorkflowDetail(
        **vars(summary(row)), definition=row.definition, can_roll_back=row.previous_definition is not None
    )


def found(session: Session, reference: str) -> Workflow:
    """The workflow by id, dag_id or client/key, or `ServiceError` (not_found)."""
    try:
        return find_workflow(session, reference)
    except LookupError as exc:
        raise ServiceError(str(exc), "not_found") from None


def list_workflows(sessions: SessionFactory) -> list[WorkflowSummary]:
    with sessions() as session:
        rows = session.scalars(select(Workflow).order_by(Workflow.client, Workflow.key)).all()
        return [summary(row) for row in rows]


def show_workflow(sessions: SessionFactory, reference: str) -> WorkflowDetail:
    with sessions() as session:
        return _detail(found(session, reference))


# -- validation and apply --------------------------------------------------------------------------------------


def connection_warnings(connection_types: ConnectionTypes | None, allow_missing: bool) -> list[str]:
    report = getattr(connection_types, "warnings", None)
    return list(report(allow_missing)) if report else []


def validate_workflow_definition(
    catalog: Catalog,
    definition: Any = None,
    yaml_text: str | None = None,
    connection_types: ConnectionTypes | None = None,
    allow_missing_connections: bool = False,
) -> tuple[WorkflowSpec | None, list[Problem]]:
    """A workflow sent as an object (the API's JSON; problems with paths) or as YAML text (paths and lines): the
    same checks `load_workflow` makes on a file. (spec, []) when valid, (None or spec, problems) otherwise."""
    try:
        draft = Draft.parse(yaml_text, definition)
        spec = draft.validate(WorkflowSpec)
    except DraftRefused as refused:
        return None, refused.problems
    return spec, draft.problems(check_workflow(spec, catalog, connection_types, allow_missing_connections))


@dataclass(frozen=True)
class Applied:
    dag_id: str
    change: str  # created | updated | unchanged
    workflow: WorkflowSummary | None = None


@dataclass(frozen=True)
class ApplyResult:
    applied: list[Applied]
    warnings: list[str]


def _apply(
    sessions: SessionFactory, loaded: list[tuple[Path, WorkflowSpec]], catalog: Catalog, warnings: list[str]
) -> ApplyResult:
    with sessions() as session:
        issues = check_new_deprecated_uses(session, loaded, catalog)
        if issues:
            raise _refused(problems_of(issues), warnings)
        results = apply_workflows(session, [spec for _, spec in loaded])
        rows = {row.dag_id: summary(row) for row in session.scalars(select(Workflow))}
        return ApplyResult([Applied(dag_id, change, rows.get(dag_id)) for dag_id, change in results], warnings)


def _refused(problems: list[Problem], warnings: list[str]) -> ServiceError:
    return ServiceError(f"nothing applied: {len(problems)} error(s)", "invalid", problems, warnings)


def apply_workflow_files(
    sessions: SessionFactory,
    paths: Sequence[Path],
    catalog: Catalog,
    connection_types: ConnectionTypes | None = None,
    allow_missing_connections: bool = False,
) -> ApplyResult:
    """Validate and upsert workflow files, all or nothing: one bad file changes nothing (`ServiceError` with every
    problem and the connection warnings)."""
    try:
        try:
            loaded = load_workflow_paths(paths, catalog, connection_types, allow_missing_connections)
        finally:
            warnings = connection_warnings(connection_types, allow_missing_connections)
    except AppDefinitionError as exc:
        raise _refused(problems_of(exc.issues), warnings) from None
    return _apply(sessions, loaded, catalog, warnings)


def apply_workflow_definition(
    sessions: SessionFactory,
    catalog: Catalog,
    definition: Any = None,
    yaml_text: str | None = None,
    connection_types: ConnectionTypes | None = None,
    allow_missing_connections: bool = False,
) -> ApplyResult:
    """Create or update one workflow from a definition sent as data: the checks of `workflows apply`."""
    spec, problems = validate_workflow_definition(
        catalog, definition, yaml_text, connection_types, allow_missing_connections
    )
    warnings = connection_warnings(connection_types, allow_missing_connections)
    if problems or spec is None:
        raise _refused(problems, warnings)
    return _apply(sessions, [(Path(DRAFT), spec)], catalog, warnings)


# -- life cycle --------------------------------------------------------------------------------------------------


def set_enabled(sessions: SessionFactory, reference: str, enabled: bool) -> WorkflowSummary:
    """Enable or disable (a disabled workflow's DAG disappears from Airflow at the next parse; events stay)."""
    with sessions() as session:
        row = found(session, reference)
        row.enabled = enabled
        session.flush()
        return summary(row)


def delete_workflow(sessions: SessionFactory, reference: str) -> WorkflowSummary:
    """The workflow with its events and action log."""
    with sessions() as session:
        row = found(session, reference)
        deleted = summary(row)
        session.delete(row)
        return deleted


@dataclass
class UpgradeOutcome:
    """One workflow's upgrade: what changes, what cannot be migrated, whether it was applied."""

    workflow_id: int
    dag_id: str
    target: str
    dry_run: bool
    changes: list[str]
    problems: list[str]
    upgraded: bool = False
    revision: int | None = None  # after the upgrade

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class UpgradeReport:
    outcomes: list[UpgradeOutcome]
    dry_run: bool

    @property
    def ok(self) -> bool:
        """Every workflow can be migrated (and, unless a dry run, was)."""
        return all(outcome.ok for outcome in self.outcomes)

    @property
    def applied(self) -> bool:
        """The upgrades were committed (an outcome's `upgraded` says what was done before a later one failed and
        everything was rolled back)."""
        return self.ok and not self.dry_run and any(outcome.upgraded for outcome in self.outcomes)


def _upgrade_one(session: Session, row: Workflow, target: str, dry_run: bool, catalog: Catalog) -> UpgradeOutcome:
    app_key, _, version = target.partition("@")
    try:
        plan = plan_upgrade(workflow_spec(row), app_key, version, catalog)
    except KeyError as exc:  # the target is not in the catalog
        raise ServiceError(str(exc.args[0]), "invalid") from None
    if not plan.problems:
        upgraded = WorkflowSpec.model_validate(plan.upgraded)
        plan.problems = [f"{format_path(path)}: {message}" for path, message in check_workflow(upgraded, catalog)]
    outcome = UpgradeOutcome(row.id, row.dag_id, target, dry_run, list(plan.changes), list(plan.problems))
    if plan.problems or dry_run:
        return outcome
    previous = row.definition
    upsert_workflow(session, upgraded)
    row.previous_definition = previous
    outcome.upgraded, outcome.revision = True, row.revision
    return outcome


def upgrade_workflows(
    sessions: SessionFactory,
    catalog: Catalog,
    target: str,
    reference: str | None = None,
    all_on: str | None = None,
    dry_run: bool = False,
) -> UpgradeReport:
    """Move one workflow (`reference`) or every workflow on an app version (`all_on`, APP@VERSION) to `target`
    (APP@VERSION), applying the migrations that version declares. All or nothing: when any cannot be migrated,
    none is changed (the report says why for each)."""
    if (reference is None) == (all_on is None):
        raise ServiceError("give one workflow reference or all_on APP@VERSION")
    with sessions() as session:
        if reference:
            rows = [found(session, reference)]
        else:
            app, _, version = (all_on or "").partition("@")
            rows = [row for row in session.scalars(select(Workflow).order_by(Workflow.id))
                    if f"{app}@{version}" in app_refs(workflow_spec(row))]  # fmt: skip
        outcomes = [_upgrade_one(session, row, target, dry_run, catalog) for row in rows]
        report = UpgradeReport(outcomes, dry_run)
        if not report.ok:
            session.rollback()
        return report


@dataclass(frozen=True)
class RollbackResult:
    workflow: WorkflowSummary
    pins: list[str]  # the app versions it uses now


def rollback_workflow(sessions: SessionFactory, reference: str) -> RollbackResult:
    """Return a workflow to its definition before the last upgrade."""
    with sessions() as session:
        row = found(session, reference)
        if row.previous_definition is None:
            raise ServiceError(f"{row.dag_id} has no earlier definition to return to", "conflict")
        current = row.definition
        upsert_workflow(session, WorkflowSpec.model_validate(row.previous_definition))
        row.previous_definition = current
        session.flush()
        return RollbackResult(summary(row), sorted(app_refs(workflow_spec(row))))
