"""`integrations workflows ...`: thin over `connectors.services.workflows` (the management API's code path too)."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from connectors.cli_db import registry_session
from connectors.hooks.connection_types import AirflowConnectionTypes
from connectors.services import ServiceError
from connectors.services.apps import load_catalog
from connectors.services.dry_run import (
    ConditionResult,
    DryRun,
    RequestPreview,
    StepPreview,
    dry_run_workflow,
    lookup_context,
)
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
from connectors.webhooks.connections import airflow_connections, airflow_environment

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


@workflows.command("dry-run")
@click.argument("file_or_reference")
@click.option("--sample", "sample_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A JSON file with the trigger data to try (default: the newest stored event).")  # fmt: skip
@click.option("--allow-missing-connections", is_flag=True, help="Accept connections Airflow does not have yet.")
def workflows_dry_run(file_or_reference: str, sample_file: Path | None, allow_missing_connections: bool) -> None:
    """Run a workflow file (or a stored workflow: id, dag_id or client/key) on a sample event without sending
    anything: each condition's outcome, each step's inputs and the request it would send (without its auth)."""
    sample = _sample_payload(sample_file) if sample_file else None
    catalog = _catalog()
    context_for = lookup_context(catalog, airflow_connections, airflow_environment)
    path = Path(file_or_reference)
    try:
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            types, missing_ok = AirflowConnectionTypes(), allow_missing_connections
            report = dry_run_workflow(registry_session, catalog, yaml_text=text, sample=sample,
                                      connection_types=types, allow_missing_connections=missing_ok,
                                      context_for=context_for)  # fmt: skip
        else:
            report = dry_run_workflow(
                registry_session, catalog, workflow=file_or_reference, sample=sample, context_for=context_for
            )
    except ServiceError as exc:
        for problem in exc.problems:
            shown = dataclasses.replace(problem, file=str(path)) if path.is_file() else problem
            click.echo(str(shown), err=True)
        for warning in exc.warnings:
            click.echo(warning, err=True)
        click.echo(exc.message, err=True)
        sys.exit(1)
    for warning in report.warnings:
        click.echo(warning, err=True)
    _print_dry_run(report)


def _sample_payload(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise click.ClickException(f"{path}: not JSON: {exc}") from None


def _print_dry_run(report: DryRun) -> None:
    click.echo(f"{report.dag_id}: dry run, nothing is sent")
    click.echo(f"sample: {report.sample.source}")
    verdict = "pass: the steps would run" if report.would_run else "do not pass: the event would be filtered out"
    click.echo(f"conditions {verdict}")
    for title, results in (("all of", report.conditions.all), ("any of", report.conditions.any)):
        if results:
            click.echo(f"  {title}:")
        for result in results:
            click.echo(f"    {_condition_line(result)}")
    if not report.would_run:
        click.echo("steps (not run for this sample):")
    else:
        click.echo("steps:")
    for number, step in enumerate(report.steps, start=1):
        _print_step(number, step)


def _condition_line(result: ConditionResult) -> str:
    actual = "missing" if result.missing else json.dumps(result.actual, default=str)
    value = "" if result.operator in ("exists", "not_exists") else f" {json.dumps(result.value, default=str)}"
    return f"{'✓' if result.holds else '✗'} {result.field} {result.operator}{value} (was {actual})"


def _print_step(number: int, step: StepPreview) -> None:
    click.echo(f"  {number}. {step.key}: {step.kind} {step.operation} on {step.app} ({step.connection})")
    if step.pending:
        click.echo(f"     pending: {step.pending}")
        return
    if step.inputs is not None:
        click.echo(f"     inputs: {json.dumps(step.inputs, default=str)}")
    if step.search_first is not None:
        click.echo(f"     first searches {step.search_first.search} ({step.search_first.mode}):")
        _print_request(step.search_first.request)
    if step.request is not None:
        click.echo("     sends:")
        _print_request(step.request)
    if step.error:
        click.echo(f"     error: {step.error}")


def _print_request(request: RequestPreview | None) -> None:
    if request is None:
        return
    click.echo(f"       {request.method} {request.url}")
    for title, value in (("params", request.params), ("headers", request.headers), ("json", request.json),
                         ("form", request.form)):  # fmt: skip
        if value:
            click.echo(f"       {title}: {json.dumps(value, default=str)}")


def _or_exit(call: Callable[[], T]) -> T:
    """The service's answer, or its error as a command-line error."""
    try:
        return call()
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
