"""The `integrations` command."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from connectors.cli_db import db
from connectors.cli_env import env
from connectors.cli_events import events
from connectors.cli_status import status
from connectors.cli_workflows import workflows
from connectors.sandbox.cli import sandbox as sandbox_commands
from connectors.spec import AppDefinitionError, Catalog, load_app_version
from connectors.spec.catalog import definition_files
from connectors.spec.schema import app_version_schema_json


def _catalog() -> Catalog:
    try:
        return Catalog.load()
    except AppDefinitionError as exc:
        raise click.ClickException(f"the app catalog has invalid definitions:\n{exc}") from None


@click.group()
@click.version_option(package_name="eshopbox-integrations")
def main() -> None:
    """Manage apps and workflows of the Eshopbox integration platform."""


@main.group()
def apps() -> None:
    """App definitions: list, show, validate, schema."""


@apps.command("list")
def apps_list() -> None:
    """Every app version in the catalog."""
    catalog = _catalog()
    rows = [("APP", "VERSION", "STATUS", "CATEGORY", "NAME")]
    for key in sorted(catalog.apps):
        for spec in catalog.versions(key):
            status = spec.status if spec.deprecation is None else f"deprecated (sunset {spec.deprecation.sunset})"
            rows.append((key, spec.version, status, spec.app.category, spec.app.name))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


@apps.command("show")
@click.argument("reference")
def apps_show(reference: str) -> None:
    """One app version: KEY or KEY@VERSION (newest active version when none is given)."""
    catalog = _catalog()
    try:
        spec = catalog.get(reference)
    except KeyError as exc:
        raise click.ClickException(str(exc.args[0])) from None
    click.echo(f"{spec.ref}  {spec.app.name} ({spec.app.category}) — {spec.status}")
    if spec.app.description:
        click.echo(spec.app.description)
    click.echo(f"source: {catalog.sources[spec.ref]}")
    click.echo(f"auth: {spec.auth.type}; credentials: {', '.join(spec.auth.credential_fields())}")
    sections = {
        "properties": spec.properties,
        "environment": spec.environment,
        "triggers": spec.triggers,
        "searches": spec.searches,
        "actions": spec.actions,
    }
    for title, items in sections.items():
        if items:
            click.echo(f"{title}:")
            for name, item in items.items():
                label = getattr(item, "name", None) or getattr(item, "label", None) or getattr(item, "description", "")
                kind = getattr(item, "type", "")
                click.echo(f"  {name}" + (f" [{kind}]" if kind else "") + (f"  {label}" if label else ""))


@apps.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
def apps_validate(paths: tuple[Path, ...]) -> None:
    """Validate app definition files or folders (default: the whole catalog). Exit 1 on any error."""
    files = list(definition_files(paths)) if paths else None
    issues = []
    if files is None:
        try:
            catalog = Catalog.load()
        except AppDefinitionError as exc:
            issues = exc.issues
        else:
            click.echo(f"{len(catalog.sources)} app versions valid")
            return
    else:
        for path in files:
            try:
                load_app_version(path)
            except AppDefinitionError as exc:
                issues.extend(exc.issues)
    for issue in issues:
        click.echo(str(issue), err=True)
    if issues:
        sys.exit(1)
    click.echo(f"{len(files or [])} app versions valid")


@apps.command("usage")
@click.argument("key", required=False)
def apps_usage(key: str | None) -> None:
    """Which workflows use which app versions (and whether those versions are deprecated)."""
    from connectors.registry.db import session_scope
    from connectors.spec.deprecation import deprecation_notice
    from connectors.workflows.lifecycle import usage

    catalog = _catalog()
    with session_scope() as session:
        used = usage(session)
    for ref, dag_ids in used.items():
        if key and ref.partition("@")[0] != key:
            continue
        try:
            notice = deprecation_notice(catalog.get(ref))
        except KeyError:
            notice = (f"{ref} is not in the catalog", True)
        click.echo(f"{ref}  ({notice[0] if notice else 'active'})")
        for dag_id in dag_ids:
            click.echo(f"  {dag_id}")


@apps.command("schema")
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Write to a file instead of stdout.")
def apps_schema(output: Path | None) -> None:
    """The JSON Schema of app definition files (for editor completion)."""
    text = app_version_schema_json()
    if output:
        output.write_text(text)
    else:
        click.echo(text, nl=False)


main.add_command(db)
main.add_command(workflows)
main.add_command(events)
main.add_command(env)
main.add_command(status)

main.add_command(sandbox_commands)  # integrations sandbox serve|emit (connectors/sandbox/cli.py)

if __name__ == "__main__":
    main()
