"""`integrations env ...`: per-app-version environment values, kept in one Airflow Variable per version."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import click

from connectors.services import ServiceError
from connectors.services import environment as environment_service
from connectors.services.apps import load_catalog
from connectors.spec import AppVersionSpec
from connectors.webhooks.connections import read_environment, write_environment


@contextmanager
def _said() -> Iterator[None]:
    """A `ServiceError` as the command's error message (exit 1)."""
    try:
        yield
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None


def _spec(reference: str) -> AppVersionSpec:
    with _said():
        return environment_service.app_version(load_catalog(), reference)


@click.group()
def env() -> None:
    """Environment values per app version (Airflow Variable `integrations_env__<app>__<version>`)."""


@env.command("set")
@click.argument("reference")
@click.argument("assignments", nargs=-1, required=True)
def env_set(reference: str, assignments: tuple[str, ...]) -> None:
    """Set NAME=VALUE pairs for APP@VERSION (typed as the app version declares them; a secret given as *** is kept)."""
    spec = _spec(reference)
    pairs = dict(item.split("=", 1) for item in assignments if "=" in item)
    if len(pairs) != len(assignments):
        raise click.ClickException("give values as NAME=VALUE")
    with _said():
        environment_service.set_environment(spec, pairs, read_environment, write_environment)
    click.echo(f"{spec.ref}: set {', '.join(sorted(pairs))}")


@env.command("show")
@click.argument("reference")
def env_show(reference: str) -> None:
    """Every declared variable of APP@VERSION with its value (secrets as ***) or default."""
    with _said():
        values = environment_service.show_environment(_spec(reference), read_environment)
    for value in values:
        if value.is_set:
            shown = environment_service.SECRET_MASK if value.secret else json.dumps(value.value)
        else:
            shown = f"(default {json.dumps(value.default)})" if value.default is not None else "(unset)"
        flags = (" required" if value.required else "") + (" secret" if value.secret else "")
        click.echo(f"{value.name} [{value.type}{flags}] = {shown}")


@env.command("copy")
@click.argument("source")
@click.argument("target")
def env_copy(source: str, target: str) -> None:
    """Copy values from one version to another (e.g. before upgrading); names the target lacks are skipped."""
    source_spec, target_spec = _spec(source), _spec(target)
    with _said():
        copied, skipped = environment_service.copy_environment(
            source_spec, target_spec, read_environment, write_environment
        )
    click.echo(f"copied {', '.join(copied) or 'nothing'} to {target_spec.ref}"
               + (f"; skipped {', '.join(skipped)} (not declared there)" if skipped else ""))  # fmt: skip
