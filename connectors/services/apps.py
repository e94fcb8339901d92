"""Apps: the catalog (list, show), validation of definition files and of drafts sent as data, usage by workflows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connectors.get_provider_info import connection_type
from connectors.services.drafts import Draft, DraftRefused
from connectors.services.errors import Problem, ServiceError, problems_of
from connectors.services.sessions import SessionFactory
from connectors.spec import AppDefinitionError, AppVersionSpec, Catalog, load_app_version
from connectors.spec.catalog import definition_files
from connectors.spec.deprecation import deprecation_notice
from connectors.spec.references import check_references


def load_catalog() -> Catalog:
    """Every app version; `ServiceError` with every problem when a definition is invalid."""
    try:
        return Catalog.load()
    except AppDefinitionError as exc:
        raise ServiceError(
            f"the app catalog has invalid definitions:\n{exc}", "unavailable", problems_of(exc.issues)
        ) from None


@dataclass(frozen=True)
class Deprecation:
    sunset: dt.date
    replacement: str | None  # APP@VERSION
    reason: str | None
    notice: str


@dataclass(frozen=True)
class AppVersionSummary:
    key: str
    version: str
    ref: str
    name: str
    category: str
    status: str
    deprecation: Deprecation | None


@dataclass(frozen=True)
class AppItem:
    """A property, environment variable, trigger, search or action: its key, type and label."""

    key: str
    type: str
    label: str


@dataclass(frozen=True)
class ConnectionField:
    """One field of the form that connects the app: a credential of its auth or a custom property. Its value is
    kept in the Airflow connection's extras under `name`."""

    name: str
    kind: str  # "credential" or "property"
    label: str
    type: str  # string, integer, boolean, choice or secret
    secret: bool
    required: bool
    help: str | None = None
    choices: list[Any] | None = None
    default: Any = None
    pattern: str | None = None


@dataclass(frozen=True)
class AppVersionDetail(AppVersionSummary):
    description: str | None
    source: str
    auth_type: str
    credential_fields: list[str]
    connection_type: str  # the Airflow connection type of the app's connections
    connection_form: list[ConnectionField]
    sections: dict[str, list[AppItem]] = field(default_factory=dict)  # only the sections the version has
    definition: dict[str, Any] = field(default_factory=dict)  # the whole validated definition, as JSON


SECTIONS = ("properties", "environment", "triggers", "searches", "actions")


def _deprecation(spec: AppVersionSpec) -> Deprecation | None:
    notice = deprecation_notice(spec)
    if spec.deprecation is None or notice is None:
        return None
    replacement = f"{spec.app.key}@{spec.deprecation.replacement}" if spec.deprecation.replacement else None
    return Deprecation(spec.deprecation.sunset, replacement, spec.deprecation.reason, notice[0])


def _summary(spec: AppVersionSpec) -> dict[str, Any]:
    return {
        "key": spec.app.key,
        "version": spec.version,
        "ref": spec.ref,
        "name": spec.app.name,
        "category": spec.app.category,
        "status": spec.status,
        "deprecation": _deprecation(spec),
    }


def list_apps(catalog: Catalog) -> list[AppVersionSummary]:
    """Every app version, by app key, oldest version first."""
    return [AppVersionSummary(**_summary(spec)) for key in sorted(catalog.apps) for spec in catalog.versions(key)]


def show_app(catalog: Catalog, reference: str) -> AppVersionDetail:
    """`KEY@VERSION`, or `KEY` for the newest active version."""
    try:
        spec = catalog.get(reference)
    except KeyError as exc:
        raise ServiceError(str(exc.args[0]), "not_found") from None
    sections = {}
    for title in SECTIONS:
        items: dict[str, Any] = getattr(spec, title)
        if items:
            sections[title] = [
                AppItem(
                    name,
                    str(getattr(item, "type", "") or ""),
                    getattr(item, "name", None)
                    or getattr(item, "label", None)
                    or getattr(item, "description", "")
                    or "",
                )
                for name, item in items.items()
            ]
    return AppVersionDetail(
        **_summary(spec),
        description=spec.app.description,
        source=str(catalog.sources[spec.ref]),
        auth_type=spec.auth.type,
        credential_fields=list(spec.auth.credential_fields()),
        connection_type=connection_type(spec.app.key),
        connection_form=connection_form(spec),
        sections=sections,
        definition=spec.model_dump(mode="json", by_alias=True, exclude_none=True),
    )


def _label(name: str, label: str | None) -> str:
    return label or name.replace("_", " ").capitalize()


def connection_form(spec: AppVersionSpec) -> list[ConnectionField]:
    """The fields a connection of this app version carries: its auth's credentials, then its custom properties."""
    fields = [
        ConnectionField(
            name,
            "credential",
            _label(name, field.label),
            "secret" if field.secret else "string",
            field.secret,
            field.required,
            field.help,
        )  # fmt: skip
        for name, field in spec.auth.credential_fields().items()
    ]
    for name, prop in spec.properties.items():
        choices = list(prop.choices) if prop.choices else None
        fields.append(
            ConnectionField(
                name,
                "property",
                _label(name, prop.label),
                prop.type,
                prop.type == "secret",
                prop.required,
                prop.help,
                choices,
                prop.default,
                prop.pattern,
            )  # fmt: skip
        )
    return fields


@dataclass(frozen=True)
class AppValidation:
    """How many app versions were checked, and every problem found (none: all valid)."""

    checked: int
    problems: list[Problem]

    @property
    def valid(self) -> bool:
        return not self.problems


def validate_app_files(paths: Sequence[Path] | None = None) -> AppValidation:
    """Definition files or folders; None: the whole catalog (which also catches a version defined twice)."""
    if paths is None:
        try:
            catalog = Catalog.load()
        except AppDefinitionError as exc:
            return AppValidation(0, problems_of(exc.issues))
        return AppValidation(len(catalog.sources), [])
    files = list(definition_files(paths))
    problems: list[Problem] = []
    for path in files:
        try:
            load_app_version(path)
        except AppDefinitionError as exc:
            problems.extend(problems_of(exc.issues))
    return AppValidation(len(files), problems)


def validate_app_draft(yaml_text: str | None = None, definition: Any = None) -> AppValidation:
    """A draft app version sent as YAML text (problems with their lines) or as an object (paths only): the same
    checks as a file in the catalog, except where it lives."""
    try:
        draft = Draft.parse(yaml_text, definition)
        spec = draft.validate(AppVersionSpec)
    except DraftRefused as refused:
        return AppValidation(1, refused.problems)
    return AppValidation(1, draft.problems(list(check_references(spec))))


@dataclass(frozen=True)
class AppUsage:
    ref: str
    notice: str  # "active", the deprecation notice, or "… is not in the catalog"
    dag_ids: list[str]


def app_usage(sessions: SessionFactory, catalog: Catalog, key: str | None = None) -> list[AppUsage]:
    """Which workflows use which app versions (trigger or step), and whether those versions are deprecated."""
    from connectors.workflows.lifecycle import usage

    with sessions() as session:
        used = usage(session)
    found = []
    for ref, dag_ids in used.items():
        if key and ref.partition("@")[0] != key:
            continue
        try:
            notice = deprecation_notice(catalog.get(ref))
        except KeyError:
            notice = (f"{ref} is not in the catalog", True)
        found.append(AppUsage(ref, notice[0] if notice else "active", dag_ids))
    return found
