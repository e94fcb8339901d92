"""Moving a workflow from one version of an app to another, with the migrations the newer version declares.

The plan lists every change (renamed triggers, actions and inputs, defaulted inputs) and every problem that cannot
be migrated automatically (removed triggers, actions or inputs, new required inputs, properties or environment
variables without a default). A plan with problems is refused as a whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connectors.spec import Catalog
from connectors.spec.app_version import AppVersionSpec, MigrationSpec
from connectors.workflows.spec import WorkflowSpec


@dataclass
class UpgradePlan:
    workflow: WorkflowSpec
    upgraded: dict[str, Any]
    changes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _migrations(target: AppVersionSpec, source_version: str) -> list[MigrationSpec]:
    return [migration for migration in target.migrations if migration.applies_to(source_version)]


def _renamed(mapping_name: str, migrations: list[MigrationSpec], key: str) -> str:
    for migration in migrations:
        key = getattr(migration, mapping_name).get(key, key)
    return key


def plan_upgrade(spec: WorkflowSpec, app_key: str, to_version: str, catalog: Catalog) -> UpgradePlan:
    """What upgrading every use of `app_key` in the workflow to `to_version` changes, and what blocks it."""
    target = catalog.get(f"{app_key}@{to_version}")
    document = spec.model_dump(mode="json", by_alias=True)
    plan = UpgradePlan(spec, document)
    uses = [("trigger", document["trigger"])] + [(f"step {s['key']}", s) for s in document["steps"]]
    used_versions = {use["app"] for _, use in uses if use["app"].partition("@")[0] == app_key}
    if not used_versions:
        plan.problems.append(f"the workflow does not use {app_key}")
    for source_ref in sorted(used_versions):
        source = catalog.get(source_ref)
        if source.version == to_version:
            plan.problems.append(f"already on {target.ref}")
            continue
        _check_new_requirements(plan, source, target)
    for where, use in uses:
        if use["app"].partition("@")[0] != app_key or use["app"] == target.ref:
            continue
        migrations = _migrations(target, use["app"].partition("@")[2])
        plan.changes.append(f"{where}: {use['app']} -> {target.ref}")
        use["app"] = target.ref
        if where == "trigger":
            _upgrade_trigger(plan, use, target, migrations)
        else:
            _upgrade_step(plan, where, use, target, migrations)
    return plan


def _check_new_requirements(plan: UpgradePlan, source: AppVersionSpec, target: AppVersionSpec) -> None:
    for kind, old, new in (("property", source.properties, target.properties),
                           ("environment variable", source.environment, target.environment)):  # fmt: skip
        for name, declared in new.items():
            if declared.required and declared.default is None and name not in old:
                plan.problems.append(f"{target.ref} needs the new required {kind} '{name}' (no default)")


def _upgrade_trigger(plan: UpgradePlan, use: dict[str, Any], target: AppVersionSpec, migrations: list) -> None:
    key = _renamed("rename_triggers", migrations, use["key"])
    if key != use["key"]:
        plan.changes.append(f"trigger: renamed {use['key']} -> {key}")
        use["key"] = key
    if key not in target.triggers:
        plan.problems.append(f"trigger '{key}' does not exist in {target.ref}")


def _upgrade_step(plan: UpgradePlan, where: str, use: dict[str, Any], target: AppVersionSpec, migrations: list) -> None:
    kind = "action" if use.get("action") else "search"
    key = _renamed("rename_actions", migrations, use[kind])
    if key != use[kind]:
        plan.changes.append(f"{where}: {kind} renamed {use[kind]} -> {key}")
        use[kind] = key
    operation = (target.actions if kind == "action" else target.searches).get(key)
    if operation is None:
        plan.problems.append(f"{where}: {kind} '{key}' does not exist in {target.ref}")
        return
    inputs: dict[str, Any] = {}
    for name, value in use["inputs"].items():
        new_name = name
        for migration in migrations:
            new_name = migration.rename_inputs.get(key, {}).get(new_name, new_name)
        if new_name != name:
            plan.changes.append(f"{where}: input renamed {name} -> {new_name}")
        if new_name not in operation.inputs:
            plan.problems.append(f"{where}: input '{name}' does not exist in {kind} '{key}' of {target.ref}")
        inputs[new_name] = value
    for migration in migrations:
        for name, value in migration.default_inputs.get(key, {}).items():
            if name not in inputs:
                inputs[name] = value
                plan.changes.append(f"{where}: input {name} set to {value!r} (migration default)")
    for name, declared in operation.inputs.items():
        if declared.required and declared.default is None and name not in inputs:
            plan.problems.append(f"{where}: {kind} '{key}' of {target.ref} needs the new required input '{name}'")
    use["inputs"] = inputs
