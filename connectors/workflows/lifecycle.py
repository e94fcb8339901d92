"""App version lifecycle as workflows see it: deprecated versions cannot be chosen anew; usage per version.

Decided behaviour at sunset: existing workflows keep running until the sunset date with a warning in every task
log; from the sunset date their tasks fail at once with a message naming the replacement (no request is sent).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.registry.models import Workflow, WorkflowStep
from connectors.spec import Catalog, SpecIssue
from connectors.spec.deprecation import deprecation_notice
from connectors.workflows.spec import WorkflowSpec


def app_refs(spec: WorkflowSpec) -> set[str]:
    return {spec.trigger.app, *(step.app for step in spec.steps)}


def usage(session: Session) -> dict[str, list[str]]:
    """Every app version in use, with the DAG ids of the workflows using it (trigger or step)."""
    used: dict[str, set[str]] = defaultdict(set)
    for row in session.scalars(select(Workflow)):
        used[f"{row.trigger_app}@{row.trigger_version}"].add(row.dag_id)
    for step, workflow in session.execute(select(WorkflowStep, Workflow).join(Workflow)):
        used[f"{step.app}@{step.version}"].add(workflow.dag_id)
    return {ref: sorted(dags) for ref, dags in sorted(used.items())}


def check_new_deprecated_uses(
    session: Session, files: Iterable[tuple[Path, WorkflowSpec]], catalog: Catalog
) -> list[SpecIssue]:
    """A deprecated version may not be chosen for a new workflow, nor newly added to an existing one."""
    issues = []
    for path, spec in files:
        row = session.scalar(select(Workflow).where(Workflow.client == spec.client, Workflow.key == spec.key))
        already = app_refs(WorkflowSpec.model_validate(row.definition)) if row is not None else set()
        for ref in sorted(app_refs(spec) - already):
            notice = deprecation_notice(catalog.get(ref))
            if notice:
                issues.append(SpecIssue(str(path), "app", f"{notice[0]}: not allowed for a new workflow or step"))
    return issues
