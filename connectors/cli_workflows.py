"""`integrations db ...` and `integrations workflows ...`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from sqlalchemy import select

from connectors.registry.db import database_url, migrate, session_scope
from connectors.registry.models import Workflow
from connectors.spec import AppDefinitionError, Catalog
from connectors.workflows.lifecycle import check_new_deprecated_uses
from connectors.workflows.store import apply_workflows, find_workflow, load_workflow_paths


@click.group()
def db() -> None:
    """The registry database."""


@db.command("migrate")
def db_migrate() -> None:
    """Create or upgrade the registry schema (SQLite in the Airflow home, or INTEGRATIONS_DB_URL)."""
    migrate()
    click.echo(f"registry database at {database_url().split('@')[-1]} is up to date")


@click.group()
def workflows() -> None:
    """Workflows: apply YAML files, list, show, enable, disable, delete."""


@workflows.command("apply")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def workflows_apply(files: tuple[Path, ...]) -> None:
    """Validate and upsert workflow files; all or nothing: one bad file changes nothing."""
    paths = [p for f in files for p in (sorted(f.glob("*.y*ml")) if f.is_dir() else [f])]
    catalog = Catalog.load()
    try:
        loaded = load_workflow_paths(paths, catalog)
        with session_scope() as session:
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
    with session_scope() as session:
        rows = session.scalars(select(Workflow).order_by(Workflow.client, Workflow.key)).all()
        click.echo(f"{'ID':>4}  {'ENABLED':7}  {'TRIGGER':32}  DAG")
        for row in rows:
            trigger = f"{row.trigger_app}@{row.trigger_version} {row.trigger_key}"
            click.echo(f"{row.id:>4}  {'yes' if row.enabled else 'no':7}  {trigger:32}  {row.dag_id}")


def _find(reference: str) -> Workflow:
    with session_scope() as session:
        try:
            return find_workflow(session, reference)
        except LookupError as exc:
            raise click.ClickException(str(exc)) from None


@workflows.command("show")
@click.argument("reference")
def workflows_show(reference: str) -> None:
    """One workflow (id, dag_id or client/key) as stored."""
    row = _find(reference)
    click.echo(f"# {row.dag_id}, revision {row.revision}, {'enabled' if row.enabled else 'disabled'}")
    click.echo(json.dumps(row.definition, indent=2))


def _set_enabled(reference: str, enabled: bool) -> None:
    with session_scope() as session:
        try:
            row = find_workflow(session, reference)
        except LookupError as exc:
            raise click.ClickException(str(exc)) from None
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
    with session_scope() as session:
        try:
            row = find_workflow(session, reference)
        except LookupError as exc:
            raise click.ClickException(str(exc)) from None
        session.delete(row)
        click.echo(f"deleted {row.dag_id}")
