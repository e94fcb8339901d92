"""`integrations workflows ...`: thin over `connectors.services.workflows` (the management API's code path too)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

from connectors.cli_db import registry_session
from connectors.hooks.connection_types import AirflowConnectionTypes
from connectors.services import ServiceError
from connectors.services.apps import load_catalog
from connectors.services.workflows import (
    apply_workflow_files,
    delete_workflow,
    list_workflows,
    rollback_workflow,
    set_enabled,
    show_workflow,
    upgrade_workflows,
)
from connectors.spec import Catalog

T = TypeVar("T")


def _catalog() -> Catalog:
    try:
        return load_catalog()
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None


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
    catalog = _catalog()
    try:
        result = apply_workflow_files(
            registry_session, paths, catalog, AirflowConnectionTypes(), allow_missing_connections
        )
    except ServiceError as exc:
        for warning in exc.warnings:
            click.echo(warning, err=True)
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        click.echo(exc.message, err=True)
        sys.exit(1)
    for warning in result.warnings:
        click.echo(warning, err=True)
    for applied in result.applied:
        click.echo(f"{applied.change:9} {applied.dag_id}")


@workflows.command("list")
def workflows_list() -> None:
    click.echo(f"{'ID':>4}  {'ENABLED':7}  {'TRIGGER':32}  DAG")
    for row in list_workflows(registry_session):
        click.echo(f"{row.id:>4}  {'yes' if row.enabled else 'no':7}  {row.trigger:32}  {row.dag_id}")


@workflows.command("show")
@click.argument("reference")
def workflows_show(reference: str) -> None:
    """One workflow (id, dag_id or client/key) as stored."""
    row = _or_exit(lambda: show_workflow(registry_session, reference))
    click.echo(f"# {row.dag_id}, revision {row.revision}, {'enabled' if row.enabled else 'disabled'}")
    click.echo(json.dumps(row.definition, indent=2))


def _set_enabled(reference: str, enabled: bool) -> None:
    row = _or_exit(lambda: set_enabled(registry_session, reference, enabled))
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
    row = _or_exit(lambda: delete_workflow(registry_session, reference))
    click.echo(f"deleted {row.dag_id}")


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
    catalog = _catalog()
    report = _or_exit(lambda: upgrade_workflows(registry_session, catalog, target, reference, all_on, dry_run))
    for outcome in report.outcomes:
        click.echo(f"{outcome.dag_id}: upgrade to {outcome.target}{' (dry run)' if outcome.dry_run else ''}")
        for change in outcome.changes:
            click.echo(f"  change: {change}")
        for problem in outcome.problems:
            click.echo(f"  cannot migrate: {problem}", err=True)
        if outcome.upgraded:
            click.echo(
                f"  upgraded, revision {outcome.revision}; `integrations workflows rollback {outcome.workflow_id}` "
                "undoes it"
            )
    if not report.ok:
        click.echo("nothing upgraded", err=True)
        sys.exit(1)


@workflows.command("rollback")
@click.argument("reference")
def workflows_rollback(reference: str) -> None:
    """Return a workflow to its definition before the last upgrade."""
    done = _or_exit(lambda: rollback_workflow(registry_session, reference))
    click.echo(f"rolled back {done.workflow.dag_id} to revision {done.workflow.revision}'s pins: {done.pins}")


def _or_exit(call: Callable[[], T]) -> T:
    """The service's answer, or its error as a command-line error."""
    try:
        return call()
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
