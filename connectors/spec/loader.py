"""Read one app-definition YAML file into an `AppVersionSpec`, reporting every problem with its line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from connectors.spec.app_version import AppVersionSpec
from connectors.spec.documents import line_of, load_document
from connectors.spec.errors import AppDefinitionError, SpecIssue, format_path
from connectors.spec.references import check_references


def load_app_version(path: Path) -> AppVersionSpec:
    """Parse, validate and cross-check one app version file; raise `AppDefinitionError` listing every issue."""
    document, spec = load_document(path, AppVersionSpec)
    issues = [
        SpecIssue(str(path), format_path(parts), message, line_of(document, parts))
        for parts, message in check_references(spec)
    ]
    issues.extend(_location_issues(path, document, spec))
    if issues:
        raise AppDefinitionError(issues)
    return spec


def _location_issues(path: Path, document: Any, spec: AppVersionSpec) -> list[SpecIssue]:
    """A file at `<key>/<version>.yaml` must hold that key and version."""
    issues = []
    if path.parent.name != spec.app.key:
        issues.append(
            SpecIssue(
                str(path),
                "app.key",
                f"'{spec.app.key}' does not match the folder name '{path.parent.name}'",
                line_of(document, ("app", "key")),
            )
        )
    if path.stem != spec.version:
        issues.append(
            SpecIssue(
                str(path),
                "version",
                f"'{spec.version}' does not match the file name '{path.name}'",
                line_of(document, ("version",)),
            )
        )
    return issues
