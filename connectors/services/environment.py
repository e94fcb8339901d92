"""App-version environments: the values an app version declares under `environment:` (show, set, copy), secrets
never shown.

Where the values live is the face's business: it passes `read(app_ref) -> dict` and
`write(app_ref, values, description)` (the Airflow glue keeps them in one Variable per app version). Values are
typed as the version declares them (`connectors.runtime.values.coerce`), as a worker's client reads them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from connectors.runtime.errors import ConfigurationError
from connectors.runtime.values import coerce
from connectors.services.drafts import DRAFT
from connectors.services.errors import Problem, ServiceError
from connectors.spec import AppVersionSpec, Catalog
from connectors.spec.base import describe_type_mismatch

SECRET_MASK = "***"
"""A secret sent as this (or as null) keeps its stored value: a form that never shows secrets can be saved."""

Read = Callable[[str], Mapping[str, Any]]
Write = Callable[[str, dict[str, Any], str], None]


@dataclass(frozen=True)
class EnvironmentValue:
    """One declared variable and its stored value; a secret's `value` is always null (`is_set` says whether it has
    one)."""

    name: str
    type: str
    required: bool
    secret: bool
    description: str | None
    default: Any
    is_set: bool
    value: Any


class EnvironmentCopy(NamedTuple):
    copied: list[str]  # names written to the target
    skipped: list[str]  # names the target does not declare


def app_version(catalog: Catalog, reference: str) -> AppVersionSpec:
    """`APP@VERSION` from the catalog: invalid without a version, not_found when unknown."""
    if "@" not in reference:
        message = f"give an app version, e.g. {reference}@1.0.0"
        raise ServiceError(message, "invalid", [Problem(DRAFT, "app", message)])
    try:
        return catalog.get(reference)
    except KeyError as exc:
        raise ServiceError(str(exc.args[0]), "not_found") from None


def show_environment(spec: AppVersionSpec, read: Read) -> list[EnvironmentValue]:
    """Every declared variable, in declaration order, with its stored value (never a secret's)."""
    stored = _stored(spec, read)
    shown = []
    for name, declared in spec.environment.items():
        is_set = stored.get(name) not in (None, "")
        shown.append(
            EnvironmentValue(
                name=name,
                type=declared.type,
                required=declared.required,
                secret=declared.secret,
                description=declared.description,
                default=declared.default,
                is_set=is_set,
                value=None if declared.secret or not is_set else stored[name],
            )
        )
    return shown


def set_environment(
    spec: AppVersionSpec, values: Mapping[str, Any], read: Read, write: Write, complete: bool = False
) -> list[EnvironmentValue]:
    """Store `values` over the stored ones and answer the environment after. Unknown names and values of the wrong
    type are refused (nothing written), each a problem at `environment.<name>`; with `complete`, required variables
    left without a value too. A secret sent as `***` or null keeps its stored value; any other variable sent as
    null goes back to its default."""
    stored = _stored(spec, read)
    check = _Check(spec, DRAFT)
    check.unknown(values)
    given: dict[str, Any] = {}
    unset: set[str] = set()
    for name, value in values.items():
        declared = spec.environment.get(name)
        if declared is None or (declared.secret and value in (None, SECRET_MASK)):
            continue  # unknown (refused below), or a secret kept as stored
        if value is None:
            unset.add(name)
        else:
            given[name] = value
    merged = {name: value for name, value in {**stored, **check.typed(given)}.items() if name not in unset}
    if complete:
        check.required(merged)
    check.refuse()
    write(spec.ref, merged, _description(spec))
    return show_environment(spec, lambda _ref: merged)


def copy_environment(source: AppVersionSpec, target: AppVersionSpec, read: Read, write: Write) -> EnvironmentCopy:
    """The source version's stored values over the target's (e.g. before upgrading a workflow); names the target
    does not declare are skipped, values of a type the target does not accept refused (nothing written)."""
    values = _stored(source, read)
    copied = {name: value for name, value in values.items() if name in target.environment}
    check = _Check(target, f"environment of {source.ref}")
    typed = check.typed(copied)
    check.refuse()
    write(target.ref, {**_stored(target, read), **typed}, _description(target))
    return EnvironmentCopy(sorted(copied), sorted(set(values) - set(copied)))


# -- checks -------------------------------------------------------------------------------------------------------


class _Check:
    """The problems of values given for one app version, each at `environment.<name>`, and the one-line message
    that says them all (as the command line prints it)."""

    def __init__(self, spec: AppVersionSpec, file: str) -> None:
        self.spec, self.file = spec, file
        self.problems: list[Problem] = []
        self.unknown_names: list[str] = []
        self.said: list[str] = []

    def _add(self, name: str, message: str) -> None:
        self.problems.append(Problem(self.file, f"environment.{name}", message))

    def unknown(self, values: Mapping[str, Any]) -> None:
        self.unknown_names = sorted(set(values) - set(self.spec.environment))
        for name in self.unknown_names:
            self._add(name, f"not declared by {self.spec.ref} (declared: {self.declared})")

    @property
    def declared(self) -> str:
        return ", ".join(sorted(self.spec.environment)) or "none"

    def typed(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Each value coerced to its declared type; one not of it is a problem (a secret's value never said)."""
        typed: dict[str, Any] = {}
        for name, value in values.items():
            declared = self.spec.environment[name]
            typed[name] = coerce(declared.type, value)
            problem = None if typed[name] in (None, "") else describe_type_mismatch(declared.type, typed[name])
            if problem:
                message = f"the value is not of type {declared.type}" if declared.secret else problem
                self._add(name, message)
                self.said.append(f"'{name}': {message}")
        return typed

    def required(self, merged: Mapping[str, Any]) -> None:
        for name, declared in self.spec.environment.items():
            if declared.required and declared.default is None and merged.get(name) in (None, ""):
                self._add(name, "is required but has no value")
                self.said.append(f"'{name}' is required but has no value")

    def refuse(self) -> None:
        """Raise `ServiceError("invalid")` with every problem, if any."""
        if not self.problems:
            return
        messages = []
        if self.unknown_names:
            messages.append(f"{self.spec.ref} declares no {', '.join(self.unknown_names)} (declared: {self.declared})")
        if self.said:
            messages.append(f"environment of {self.spec.ref}: " + "; ".join(self.said))
        raise ServiceError("; ".join(messages), "invalid", self.problems)


def _stored(spec: AppVersionSpec, read: Read) -> dict[str, Any]:
    try:
        values = read(spec.ref)
    except ConfigurationError as exc:
        raise ServiceError(str(exc), "unavailable") from None
    if not isinstance(values, Mapping):
        raise ServiceError(f"environment of {spec.ref}: the stored values are not an object", "unavailable")
    return dict(values)


def _description(spec: AppVersionSpec) -> str:
    """The stored values' description, naming the secret ones (Airflow shows it beside the Variable)."""
    secrets = [name for name, declared in spec.environment.items() if declared.secret]
    return f"Environment of {spec.ref}" + (f" (secret: {', '.join(secrets)})" if secrets else "")
