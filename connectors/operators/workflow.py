"""Operators of workflow DAGs. Thin: they read the run's context and call `connectors.workflows`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cached_property
from typing import Any

from airflow.sdk import BaseOperator, Context
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from connectors.hooks.app import AppHook
from connectors.registry.db import session_scope
from connectors.registry.inbox import set_status
from connectors.registry.models import Event, EventStatus, Workflow
from connectors.runtime.conditions import evaluate_conditions
from connectors.runtime.errors import AuthExpiredError, ConfigurationError, PermanentError
from connectors.runtime.http.client import AppClient
from connectors.runtime.templating import TemplateError
from connectors.workflows.engine import StepFailed, run_workflow_step
from connectors.workflows.spec import WorkflowSpec
from connectors.workflows.store import workflow_spec

LOAD_EVENT = "load_event"
CHECK_CONDITIONS = "check_conditions"
NOT_WORTH_RETRYING = (PermanentError, AuthExpiredError, ConfigurationError, StepFailed, TemplateError)


def step_task_id(step_key: str) -> str:
    return f"step__{step_key}"


def app_client(app_ref: str, conn_id: str) -> AppClient:
    return AppHook(app_ref, conn_id).get_client()


class WorkflowOperator(BaseOperator):
    """Base: knows its workflow row; the definition is read at run time, so DAGs stay small to serialize."""

    def __init__(self, *, workflow_id: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.workflow_id = workflow_id

    @cached_property
    def workflow(self) -> WorkflowSpec:
        with session_scope() as session:
            row = session.get(Workflow, self.workflow_id)
            if row is None:
                raise AirflowFailException(f"workflow {self.workflow_id} no longer exists in the registry")
            return workflow_spec(row)

    @staticmethod
    def event_id(context: Context) -> int:
        conf = context["dag_run"].conf or {}
        if "event_id" not in conf:
            raise AirflowFailException('this DAG runs for an event: trigger it with conf {"event_id": <id>}')
        return int(conf["event_id"])

    def fail_event(self, context: Context, error: BaseException) -> None:
        """Mark the event failed when no retry follows; the reason stays for replay."""
        final = isinstance(error, NOT_WORTH_RETRYING) or context["ti"].try_number > (self.retries or 0)
        if final:
            with session_scope() as session:
                set_status(
                    session, self.event_id(context), EventStatus.FAILED, error=f"{type(error).__name__}: {error}"
                )


class LoadEventOperator(WorkflowOperator):
    """Reads the event this run was triggered for; its payload is the trigger data of every later task."""

    def execute(self, context: Context) -> dict[str, Any]:
        event_id = self.event_id(context)
        with session_scope() as session:
            event = session.get(Event, event_id)
            if event is None or event.workflow_id != self.workflow_id:
                raise AirflowFailException(f"event {event_id} does not belong to workflow {self.workflow_id}")
            set_status(session, event_id, EventStatus.RUNNING, dag_run_id=context["dag_run"].run_id)
            return {"event_key": event.dedupe_key, "data": json.loads(event.payload)}


class CheckConditionsOperator(WorkflowOperator):
    """Skips the steps (event marked filtered) when the workflow's conditions do not hold."""

    def execute(self, context: Context) -> None:
        event = context["ti"].xcom_pull(task_ids=LOAD_EVENT)
        passed, reason = evaluate_conditions(self.workflow.conditions, event["data"])
        if not passed:
            with session_scope() as session:
                set_status(session, self.event_id(context), EventStatus.FILTERED, error=reason)
            raise AirflowSkipException(reason)
        self.log.info("conditions met")


class RunStepOperator(WorkflowOperator):
    """One step for the run's event: an action or a search; earlier steps' outputs come from XCom."""

    def __init__(self, *, step_key: str, earlier_steps: Sequence[str] = (), last: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self.step_key, self.earlier_steps, self.last = step_key, list(earlier_steps), last

    def execute(self, context: Context) -> Any:
        ti = context["ti"]
        event = ti.xcom_pull(task_ids=LOAD_EVENT)
        outputs = {key: ti.xcom_pull(task_ids=step_task_id(key)) for key in self.earlier_steps}
        step = next(s for s in self.workflow.steps if s.key == self.step_key)
        try:
            result = run_workflow_step(
                self.workflow, self.workflow_id, step, event["event_key"], event["data"], outputs, app_client
            )
        except NOT_WORTH_RETRYING as exc:
            self.fail_event(context, exc)
            raise AirflowFailException(f"{type(exc).__name__}: {exc}") from None
        except Exception as exc:
            self.fail_event(context, exc)
            raise
        if self.last:
            with session_scope() as session:
                set_status(session, self.event_id(context), EventStatus.SUCCEEDED)
        return result
