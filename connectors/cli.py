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
from connectors.services import ServiceError
from connectors.services.apps import app_usage, list_apps, load_catalog, show_app, validate_app_files
from connectors.spec import Catalog
from connectors.spec.schema import app_version_schema_json


def _catalog() -> Catalog:
    try:
        return load_catalog()
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None


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
    rows = [("APP", "VERSION", "STATUS", "CATEGORY", "NAME")]
    for app in list_apps(_catalog()):
        status = app.status if app.deprecation is None else f"deprecated (sunset {app.deprecation.sunset})"
        rows.append((app.key, app.version, status, app.category, app.name))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


@apps.command("show")
@click.argument("reference")
def apps_show(reference: str) -> None:
    """One app version: KEY or KEY@VERSION (newest active version when none is given)."""
    try:
        app = show_app(_catalog(), reference)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"{app.ref}  {app.name} ({app.category}) — {app.status}")
    if app.description:
        click.echo(app.description)
    click.echo(f"source: {app.source}")
    click.echo(f"auth: {app.auth_type}; credentials: {', '.join(app.credential_fields)}")
    for title, items in app.sections.items():
        click.echo(f"{title}:")
        for item in items:
            click.echo(
                f"  {item.key}" + (f" [{item.type}]" if item.type else "") + (f"  {item.label}" if item.label else "")
            )


@apps.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
def apps_validate(paths: tuple[Path, ...]) -> None:
    """Validate app definition files or folders (default: the whole catalog). Exit 1 on any error."""
    checked = validate_app_files(list(paths) if paths else None)
    for problem in checked.problems:
        click.echo(str(problem), err=True)
    if not checked.valid:
        sys.exit(1)
    click.echo(f"{checked.checked} app versions valid")


@apps.command("usage")
@click.argument("key", required=False)
def apps_usage(key: str | None) -> None:
    """Which workflows use which app versions (and whether those versions are deprecated)."""
    from connectors.registry.db import session_scope

    for used in app_usage(session_scope, _catalog(), key):
        click.echo(f"{used.ref}  ({used.notice})")
        for dag_id in used.dag_ids:
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
