"""The operator every workflow DAG ends with: drain the workflow's events (see `connectors.workflows.drain`).

Light to import on purpose: a worker parses the DAG file for every task it runs, so the engine (spec, registry,
runtime) is imported when a task executes, not when its DAG is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator, Context

if TYPE_CHECKING:
    from connectors.runtime.http.client import AppClient

PROCESS_EVENTS = "process_events"


def app_client(app_ref: str, conn_id: str) -> AppClient:
    from connectors.hooks.app import AppHook

    return AppHook(app_ref, conn_id).get_client()


class WorkflowOperator(BaseOperator):
    """Base: knows its workflow row; the definition is read at run time, so DAGs stay small to serialize."""

    def __init__(self, *, workflow_id: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.workflow_id = workflow_id


class ProcessEventsOperator(WorkflowOperator):
    """Claims the workflow's waiting events in batches under a lease and takes each through conditions and steps
    on its own. Fails (without retry) when an event failed for good, so the run shows it; every event keeps its
    outcome and reason in the inbox (`integrations events list --run <run id>`)."""

    ui_color = "#e8f0fe"

    def __init__(self, *, batch_size: int = 100, time_budget_seconds: float | None = 600.0, **kwargs: Any) -> None:
        """`time_budget_seconds`: the run stops claiming after this, and a later run takes the rest (webhook
        workflows, whose dispatcher starts that run); None keeps going until no event waits (a polling window)."""
        super().__init__(**kwargs)
        self.batch_size = batch_size
        self.time_budget_seconds = time_budget_seconds

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow.sdk.exceptions import AirflowFailException

        from connectors.workflows.drain import DrainSettings, drain_workflow

        dag_run = context["dag_run"]
        settings = DrainSettings(
            batch_size=self.batch_size,
            time_budget_seconds=float("inf") if self.time_budget_seconds is None else self.time_budget_seconds,
            reconcile=bool((dag_run.conf or {}).get("reconcile")),  # trigger with {"reconcile": true}
            retried=context["ti"].try_number > 1,
        )
        summary = drain_workflow(self.workflow_id, dag_run.run_id, app_client, settings)
        if summary.failed:
            details = "; ".join(f"event {event_id}: {error}" for event_id, error in sorted(summary.failed.items()))
            raise AirflowFailException(f"{len(summary.failed)} event(s) failed (kept for replay): {details}"[:4000])
        return summary.as_dict()
