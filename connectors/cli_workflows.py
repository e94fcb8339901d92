"""`integrations workflows ...`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.cli_db import registry_session
from connectors.hooks.connection_types import AirflowConnectionTypes
from connectors.registry.models import Workflow
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
from connectors.workflows.validation import check_workflow


@click.group()
def workflows() -> None:
    """Workflows: apply YAML files, list, show, enable, disable, delete."""


@workflows.command("apply")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--allow-missing-connections",
    is_flag=True,
    help="Apply even if a connection does not exist yet (one of another app's type is still refused).",
)
def workflows_apply(files: tuple[Path, ...], allow_missing_connections: bool) -> None:
    """Validate and upsert workflow files; all or nothing: one bad file changes nothing. The connections they name
    must exist in Airflow, each of its app's type (`integrations_<app>`)."""
    paths = [p for f in files for p in (sorted(f.glob("*.y*ml")) if f.is_dir() else [f])]
    catalog = Catalog.load()
    connections = AirflowConnectionTypes()
    try:
        try:
            loaded = load_workflow_paths(paths, catalog, connections, allow_missing_connections)
        finally:
            for warning in connections.warnings(allow_missing_connections):
                click.echo(warning, err=True)
        with registry_session() as session:
            issues = check_new_deprecated_uses(session, loaded, catalog)
            if issues:
                raise AppDefinitionError(issues)
            results = apply_workflows(session, [spec for _, spec in loaded])
    except AppDefinitionError as exc:
        for issue in exc.issues:
            click.echo(str(issue), err=True)
        click.echo(f"nothing applied: {len(exc.issues)} error(s)", err=True)
        sys.exit(1)
    for dag_id, change in results:
        click.echo(f"{change:9} {dag_id}")


@workflows.command("list")
def workflows_list() -> None:
    with registry_session() as session:
        rows = session.scalars(select(Workflow).order_by(Workflow.client, Workflow.key)).all()
        click.echo(f"{'ID':>4}  {'ENABLED':7}  {'TRIGGER':32}  DAG")
        for row in rows:
            trigger = f"{row.trigger_app}@{row.trigger_version} {row.trigger_key}"
            click.echo(f"{row.id:>4}  {'yes' if row.enabled else 'no':7}  {trigger:32}  {row.dag_id}")


@workflows.command("show")
@click.argument("reference")
def workflows_show(reference: str) -> None:
    """One workflow (id, dag_id or client/key) as stored."""
    with registry_session() as session:
        row = _found(session, reference)
    click.echo(f"# {row.dag_id}, revision {row.revision}, {'enabled' if row.enabled else 'disabled'}")
    click.echo(json.dumps(row.definition, indent=2))


def _set_enabled(reference: str, enabled: bool) -> None:
    with registry_session() as session:
        row = _found(session, reference)
        row.enabled = enabled
        click.echo(f"{'enabled' if enabled else 'disabled'} {row.dag_id}")


@workflows.command("enable")
@click.argument("reference")
def workflows_enable(reference: str) -> None:
    _set_enabled(reference, True)


@workflows.command("disable")
@click.argument("reference")
def workflows_disable(reference: str) -> None:
    """The DAG disappears from Airflow at the next parse; stored events stay."""
    _set_enabled(reference, False)


@workflows.command("delete")
@click.argument("reference")
@click.confirmation_option(prompt="Delete the workflow with its events and action log?")
def workflows_delete(reference: str) -> None:
    with registry_session() as session:
        row = _found(session, reference)
        session.delete(row)
        click.echo(f"deleted {row.dag_id}")


def _upgrade_one(session: Session, row: Workflow, target: str, dry_run: bool, catalog: Catalog) -> bool:
    app_key, _, version = target.partition("@")
    plan = plan_upgrade(workflow_spec(row), app_key, version, catalog)
    if not plan.problems:
        upgraded = WorkflowSpec.model_validate(plan.upgraded)
        plan.problems = [f"{format_path(path)}: {message}" for path, message in check_workflow(upgraded, catalog)]
    click.echo(f"{row.dag_id}: upgrade to {target}{' (dry run)' if dry_run else ''}")
    for change in plan.changes:
        click.echo(f"  change: {change}")
    for problem in plan.problems:
        click.echo(f"  cannot migrate: {problem}", err=True)
    if plan.problems or dry_run:
        return not plan.problems
    previous = row.definition
    upsert_workflow(session, upgraded)
    row.previous_definition = previous
    click.echo(f"  upgraded, revision {row.revision}; `integrations workflows rollback {row.id}` undoes it")
    return True


@workflows.command("upgrade")
@click.argument("reference", required=False)
@click.option("--to", "target", required=True, help="APP@VERSION to move to, e.g. shopify@2.0.0.")
@click.option("--all-on", "all_on", help="Every workflow on this APP@VERSION instead of one REFERENCE.")
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
def workflows_upgrade(reference: str | None, target: str, all_on: str | None, dry_run: bool) -> None:
    """Move a workflow (or every workflow on an app version) to another version of an app, applying the
    migrations that version declares; refused, with every reason, when something cannot be migrated."""
    if (reference is None) == (all_on is None):
        raise click.ClickException("give one workflow REFERENCE or --all-on APP@VERSION")
    catalog = Catalog.load()
    with registry_session() as session:
        if reference:
            rows = [_found(session, reference)]
        else:
            app, _, version = (all_on or "").partition("@")
            rows = [row for row in session.scalars(select(Workflow).order_by(Workflow.id))
                    if f"{app}@{version}" in app_refs(workflow_spec(row))]  # fmt: skip
        outcomes = [_upgrade_one(session, row, target, dry_run, catalog) for row in rows]
        if not all(outcomes):
            session.rollback()
            click.echo("nothing upgraded", err=True)
            sys.exit(1)


@workflows.command("rollback")
@click.argument("reference")
def workflows_rollback(reference: str) -> None:
    """Return a workflow to its definition before the last upgrade."""
    with registry_session() as session:
        row = _found(session, reference)
        if row.previous_definition is None:
            raise click.ClickException(f"{row.dag_id} has no earlier definition to return to")
        current = row.definition
        upsert_workflow(session, WorkflowSpec.model_validate(row.previous_definition))
        row.previous_definition = current
        click.echo(
            f"rolled back {row.dag_id} to revision {row.revision}'s pins: {sorted(app_refs(workflow_spec(row)))}"
        )


def _found(session: Session, reference: str) -> Workflow:
    """The workflow by id, dag_id or client/key, or a clear command-line error."""
    try:
        return find_workflow(session, reference)
    except LookupError as exc:
        raise click.ClickException(str(exc)) from None
