"""The app builder: a draft app version saved as a new, immutable version into the user's apps folder
(`INTEGRATIONS_APPS_PATH`), so a new integration needs no change to the package. Trying one of a draft's requests
against a connection is `connectors.services.app_trial`."""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors.services.apps import validate_app_draft
from connectors.services.drafts import DRAFT, Draft
from connectors.services.errors import Problem, ServiceError, problems_of
from connectors.spec import AppDefinitionError, AppVersionSpec, Catalog
from connectors.spec.catalog import APPS_PATH_VARIABLE, BUILTIN_APPS, app_folders


@dataclass(frozen=True)
class SavedAppVersion:
    """`ref` (`acme@1.0.0`), `path` relative to the apps folder (`acme/1.0.0.yaml`), and whether this call wrote
    it (False: the same text was saved before)."""

    ref: str
    path: str
    created: bool


def draft_spec(yaml_text: str | None = None, definition: Any = None) -> AppVersionSpec:
    """The draft as an app version, checked exactly as `validate_app_draft` checks it; `ServiceError` "invalid"
    with every problem (and its line, for YAML text) otherwise."""
    checked = validate_app_draft(yaml_text, definition)
    if not checked.valid:
        raise ServiceError("the app version is not valid", "invalid", checked.problems)
    return AppVersionSpec.model_validate(Draft.parse(yaml_text, definition).data)


def user_apps_folder() -> Path:
    """The first folder of `INTEGRATIONS_APPS_PATH`: where saved app versions go (never the package's own)."""
    folders = app_folders()[1:]
    if not folders:
        raise ServiceError(
            f"no apps folder to save into: set {APPS_PATH_VARIABLE} to a folder of your own (the first one listed "
            "receives saved app versions)",
            "unavailable",
        )
    if folders[0].resolve() == BUILTIN_APPS:
        raise ServiceError(
            f"the first folder of {APPS_PATH_VARIABLE} is the package's own apps folder: name a folder of your own",
            "unavailable",
        )
    return folders[0]


def save_app_version(yaml_text: str, catalog: Catalog, folder: Path | None = None) -> SavedAppVersion:
    """Validate the draft and write it, as sent (comments kept), to `<folder>/<app key>/<version>.yaml`; `folder`
    defaults to `user_apps_folder()`.

    App versions are immutable: a version the catalog (or the folder) has already is a "conflict", unless it is the
    same text at the same place (`created=False`). The file is written under a temporary name and linked into
    place, so no reader sees half a file and two saves of one version cannot both win. If the catalog as a whole
    then no longer loads, the file is removed again and the problems are answered."""
    spec = draft_spec(yaml_text)
    folder = user_apps_folder() if folder is None else folder
    relative = f"{spec.app.key}/{spec.version}.yaml"
    target = folder / relative
    sent = yaml_text.encode("utf-8")
    if spec.ref in catalog.sources and catalog.sources[spec.ref].resolve() != target.resolve():
        raise _exists(spec, _where(catalog.sources[spec.ref], folder))
    check_same_origin(spec, catalog)
    if not _write_new(target, sent):
        if target.read_bytes() == sent:
            return SavedAppVersion(spec.ref, relative, created=False)
        raise _exists(spec, relative)
    try:
        Catalog.load([*app_folders(), *([] if folder in app_folders() else [folder])])
    except AppDefinitionError as exc:
        target.unlink(missing_ok=True)
        problems = [_relative_problem(problem, folder) for problem in problems_of(exc.issues)]
        message = f"{spec.ref} was not saved: the catalog would not load with it"
        raise ServiceError(message, "invalid", problems) from None
    return SavedAppVersion(spec.ref, relative, created=True)


def check_same_origin(spec: AppVersionSpec, catalog: Catalog) -> None:
    """A new version of an app the catalog has calls the hosts that app's versions call (`base_url`, and no
    `allowed_hosts` of its own): a draft cannot take over an app's connections to send their credentials
    elsewhere. An app calling another API is another app, with a key of its own."""
    if spec.app.key not in catalog.apps:
        return
    versions = catalog.versions(spec.app.key)
    base_urls = sorted({version.base_url for version in versions})
    known_hosts = {host for version in versions for host in version.allowed_hosts}
    problems = []
    if spec.base_url not in base_urls:
        problems.append(Problem(DRAFT, "base_url", f"the versions of '{spec.app.key}' call {' or '.join(base_urls)}"))
    added = sorted(set(spec.allowed_hosts) - known_hosts)
    if added:
        problems.append(Problem(DRAFT, "allowed_hosts", f"no version of '{spec.app.key}' calls {', '.join(added)}"))
    if problems:
        message = (
            f"{spec.ref} would call other hosts than {spec.app.key}'s versions: "
            "give an app calling another API a key of its own"
        )
        raise ServiceError(message, "invalid", problems)


def _write_new(target: Path, content: bytes) -> bool:
    """Write `content` at `target` unless a file is there already (False). Atomic: a temporary file in the same
    folder, hard-linked into place (which fails if the name exists)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(temporary, target)
        except FileExistsError:
            return False
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _exists(spec: AppVersionSpec, where: str) -> ServiceError:
    return ServiceError(
        f"{spec.ref} exists already ({where}) with other content; app versions are immutable: give the draft a new "
        "version (e.g. a higher patch or minor number)",
        "conflict",
    )


def _where(path: Path, folder: Path) -> str:
    """Where a definition lives, said without a machine path."""
    for base, name in ((BUILTIN_APPS, "the package's apps"), (folder, "your apps folder")):
        with contextlib.suppress(ValueError):
            return f"{name}: {path.resolve().relative_to(base.resolve())}"
    return f"another apps folder: {path.parent.name}/{path.name}"


def _relative_problem(problem: Problem, folder: Path) -> Problem:
    """The problem with its file, and files its message names, relative to their apps folder."""
    message = problem.message
    for base in (folder, *app_folders()):
        for prefix in {f"{base}{os.sep}", f"{base.resolve()}{os.sep}"}:
            message = message.replace(prefix, "")
    return Problem(_where(Path(problem.file), folder).partition(": ")[2], problem.path, message, problem.line)
