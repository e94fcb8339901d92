"""`integrations env ...`: per-app-version environment values, kept in one Airflow Variable per version."""

from __future__ import annotations

import json
from typing import Any

import click

from connectors.runtime.errors import ConfigurationError
from connectors.runtime.values import coerce, resolve_values
from connectors.spec import AppVersionSpec, Catalog

SECRET_MASK = "***"


def _spec(reference: str) -> AppVersionSpec:
    if "@" not in reference:
        raise click.ClickException(f"give an app version, e.g. {reference}@1.0.0")
    try:
        return Catalog.load().get(reference)
    except KeyError as exc:
        raise click.ClickException(str(exc.args[0])) from None


def _read(spec: AppVersionSpec) -> dict[str, Any]:
    from airflow.models import Variable

    from connectors.hooks.app import environment_variable_name

    raw = Variable.get(environment_variable_name(spec.ref), default_var=None)
    return json.loads(raw) if raw else {}


def _write(spec: AppVersionSpec, values: dict[str, Any]) -> None:
    from airflow.models import Variable

    from connectors.hooks.app import environment_variable_name

    secrets = [name for name, declared in spec.environment.items() if declared.secret]
    description = f"Environment of {spec.ref}" + (f" (secret: {', '.join(secrets)})" if secrets else "")
    Variable.set(environment_variable_name(spec.ref), json.dumps(values, sort_keys=True), description=description)


def _checked(spec: AppVersionSpec, values: dict[str, Any], complete: bool) -> dict[str, Any]:
    """Unknown names and wrong types are refused; with `complete`, missing required values too."""
    unknown = sorted(set(values) - set(spec.environment))
    if unknown:
        declared = ", ".join(sorted(spec.environment)) or "none"
        raise click.ClickException(f"{spec.ref} declares no {', '.join(unknown)} (declared: {declared})")
    typed = {name: coerce(spec.environment[name].type, value) for name, value in values.items()}
    declared = {name: spec.environment[name] for name in typed} if not complete else spec.environment
    try:
        resolve_values(declared, typed, f"environment of {spec.ref}")
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from None
    return typed


@click.group()
def env() -> None:
    """Environment values per app version (Airflow Variable `integrations_env__<app>__<version>`)."""


@env.command("set")
@click.argument("reference")
@click.argument("assignments", nargs=-1, required=True)
def env_set(reference: str, assignments: tuple[str, ...]) -> None:
    """Set NAME=VALUE pairs for APP@VERSION (typed as the app version declares them)."""
    spec = _spec(reference)
    pairs = dict(item.split("=", 1) for item in assignments if "=" in item)
    if len(pairs) != len(assignments):
        raise click.ClickException("give values as NAME=VALUE")
    values = {**_read(spec), **_checked(spec, pairs, complete=False)}
    _write(spec, values)
    click.echo(f"{spec.ref}: set {', '.join(sorted(pairs))}")


@env.command("show")
@click.argument("reference")
def env_show(reference: str) -> None:
    """Every declared variable of APP@VERSION with its value (secrets as ***) or default."""
    spec = _spec(reference)
    values = _read(spec)
    for name, declared in spec.environment.items():
        if name in values:
            shown = SECRET_MASK if declared.secret else json.dumps(values[name])
        else:
            shown = f"(default {json.dumps(declared.default)})" if declared.default is not None else "(unset)"
        required = " required" if declared.required else ""
        click.echo(f"{name} [{declared.type}{required}{' secret' if declared.secret else ''}] = {shown}")


@env.command("copy")
@click.argument("source")
@click.argument("target")
def env_copy(source: str, target: str) -> None:
    """Copy values from one version to another (e.g. before upgrading); names the target lacks are skipped."""
    source_spec, target_spec = _spec(source), _spec(target)
    values = {name: value for name, value in _read(source_spec).items() if name in target_spec.environment}
    skipped = sorted(set(_read(source_spec)) - set(values))
    _write(target_spec, {**_read(target_spec), **_checked(target_spec, values, complete=False)})
    click.echo(f"copied {', '.join(sorted(values)) or 'nothing'} to {target_spec.ref}"
               + (f"; skipped {', '.join(skipped)} (not declared there)" if skipped else ""))  # fmt: skip
