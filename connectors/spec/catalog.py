"""The catalog: every app version found in the package and in the folders of `INTEGRATIONS_APPS_PATH`."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from connectors.spec.app_version import KEY, AppVersionSpec
from connectors.spec.errors import AppDefinitionError, SpecIssue
from connectors.spec.loader import load_app_version

BUILTIN_APPS = Path(__file__).resolve().parent.parent / "apps"
APPS_PATH_VARIABLE = "INTEGRATIONS_APPS_PATH"


def app_folders() -> list[Path]:
    """The package's apps folder, then each folder named in `INTEGRATIONS_APPS_PATH` (colon-separated)."""
    extra = [Path(part) for part in os.environ.get(APPS_PATH_VARIABLE, "").split(os.pathsep) if part]
    return [BUILTIN_APPS, *extra]


def definition_files(paths: Iterable[Path]) -> Iterator[Path]:
    """YAML files under `paths`: a file is taken as is, a folder is searched recursively."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*.y*ml") if p.suffix in (".yaml", ".yml"))
        else:
            yield path


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("-")[0].split("."))


@dataclass
class Catalog:
    """App versions by key and version; several versions of one app live side by side.

    `load()` reads every definition (listing, validating, the receiver's routes). `on_demand()` reads a version's
    file the first time `get` asks for it: a task that runs one workflow reads the two or three files it uses, not
    the whole catalog (about a second at 22 versions, paid by every task process before this)."""

    apps: dict[str, dict[str, AppVersionSpec]] = field(default_factory=dict)
    sources: dict[str, Path] = field(default_factory=dict)
    folders: list[Path] | None = field(default=None, repr=False)  # set: files are read when asked for
    _complete: set[str] = field(default_factory=set, repr=False)  # apps whose every version is read

    @classmethod
    def on_demand(cls, folders: Iterable[Path] | None = None) -> Catalog:
        return cls(folders=list(app_folders() if folders is None else folders))

    def _read(self, key: str, version: str) -> None:
        """The definition files of `key@version` (every version of `key` when `version` is empty) not read yet."""
        if self.folders is None or (version and version in self.apps.get(key, {})) or key in self._complete:
            return
        if not re.fullmatch(KEY, key) or (version and not re.fullmatch(r"[0-9A-Za-z.+-]+", version)):
            return  # not a name a definition file can have (and no path outside the folders)
        issues: list[SpecIssue] = []
        for folder in self.folders:
            names = (f"{version}.yaml", f"{version}.yml") if version else ()
            paths = [folder / key / name for name in names] if version else list(definition_files([folder / key]))
            for path in paths:
                if not path.is_file() or path in self.sources.values():
                    continue
                try:
                    spec = load_app_version(path)
                except AppDefinitionError as exc:
                    issues.extend(exc.issues)
                    continue
                if spec.ref in self.sources:
                    message = f"{spec.ref} is also defined in {self.sources[spec.ref]}"
                    issues.append(SpecIssue(str(path), "version", message))
                    continue
                self.apps.setdefault(spec.app.key, {})[spec.version] = spec
                self.sources[spec.ref] = path
        if issues:
            raise AppDefinitionError(issues)
        if not version:
            self._complete.add(key)

    def _known_keys(self) -> list[str]:
        on_disk = {path.name for folder in self.folders or [] if folder.is_dir() for path in folder.iterdir()
                   if path.is_dir()}  # fmt: skip
        return sorted(on_disk | set(self.apps))

    @classmethod
    def load(cls, folders: Iterable[Path] | None = None) -> Catalog:
        """Load every definition; raise `AppDefinitionError` with all issues if any file is invalid."""
        catalog, issues = cls(), []
        for path in definition_files(app_folders() if folders is None else folders):
            try:
                spec = load_app_version(path)
            except AppDefinitionError as exc:
                issues.extend(exc.issues)
                continue
            if spec.ref in catalog.sources:
                issues.append(
                    SpecIssue(str(path), "version", f"{spec.ref} is also defined in {catalog.sources[spec.ref]}")
                )
                continue
            catalog.apps.setdefault(spec.app.key, {})[spec.version] = spec
            catalog.sources[spec.ref] = path
        if issues:
            raise AppDefinitionError(issues)
        return catalog

    def versions(self, key: str) -> list[AppVersionSpec]:
        """Versions of one app, oldest first."""
        self._read(key, "")
        return [self.apps[key][v] for v in sorted(self.apps.get(key, {}), key=_version_key)]

    def get(self, reference: str) -> AppVersionSpec:
        """`shopify@1.0.0`, or `shopify` for the newest active version."""
        key, _, version = reference.partition("@")
        self._read(key, version)
        if version and version not in self.apps.get(key, {}):
            self._read(key, "")  # every version, for the error's list
        if key not in self.apps:
            known = self._known_keys() if self.folders is not None else sorted(self.apps)
            raise KeyError(f"unknown app '{key}' (known: {', '.join(known) or 'none'})")
        if not version:
            active = [spec for spec in self.versions(key) if spec.status == "active"] or self.versions(key)
            return active[-1]
        try:
            return self.apps[key][version]
        except KeyError:
            known = ", ".join(spec.version for spec in self.versions(key))
            raise KeyError(f"unknown version '{version}' of app '{key}' (known: {known})") from None


def deprecated_versions(folders: Iterable[Path] | None = None) -> dict[str, str]:
    """`app@version` -> sunset date of every deprecated version, read without full validation.

    Cheap enough for DAG-parse time (a few milliseconds): only `app.key`, `version`, `status` and `deprecation` are
    read, with libyaml. Invalid files are skipped here; `integrations apps validate` reports them.
    """
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    found = {}
    for path in definition_files(app_folders() if folders is None else folders):
        try:
            document = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
            if document.get("status") == "deprecated":
                found[f"{document['app']['key']}@{document['version']}"] = str(document["deprecation"]["sunset"])
        except (OSError, yaml.YAMLError, AttributeError, KeyError, TypeError):
            continue
    return found
