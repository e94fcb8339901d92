"""Running a workflow's steps for one event, idempotently, with outcomes in the action log.

Airflow-free: operators call these functions with a way to build clients (`ClientFactory`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from connectors.registry.action_log import done_steps, record_step
from connectors.registry.db import get_engine
from connectors.registry.models import ActionOutcome
from connectors.runtime.errors import HttpError, IntegrationError
from connectors.runtime.http.client import AppClient
from connectors.runtime.log_context import log_fields
from connectors.runtime.mapping import render_mapping
from connectors.runtime.steps import StepResult, run_action, run_search
from connectors.runtime.templating import TemplateError
from connectors.workflows.spec import StepSpec, WorkflowSpec

ClientFactory = Callable[[str, str], AppClient]
"""(app@version, connection id) -> client."""


class StepFailed(IntegrationError):
    """A step cannot succeed for this event as it is (no match for a required search, bad mapping)."""


def step_context(spec: WorkflowSpec, trigger_data: Any, outputs: dict[str, Any]) -> dict[str, Any]:
    """The names a step's input templates see."""
    tables = {name: table.as_template_value(name) for name, table in spec.lookup_tables.items()}
    return {"trigger": trigger_data, "steps": outputs, "params": spec.trigger.parameters, "tables": tables}


def idempotency_key(workflow_id: int, dedupe_key: str, step_key: str) -> str:
    """The same for every attempt of one step for one event (and its replays), unique across workflows."""
    return hashlib.sha256(f"{workflow_id}\x00{dedupe_key}\x00{step_key}".encode()).hexdigest()[:32]


def run_step(
    spec: WorkflowSpec,
    workflow_id: int,
    step: StepSpec,
    dedupe_key: str,
    trigger_data: Any,
    outputs: dict[str, Any],
    clients: ClientFactory,
) -> Any:
    """Send one step and log its outcome; a failure is logged with its reason, then raised."""
    try:
        inputs = render_mapping(step.inputs, step_context(spec, trigger_data, outputs))
        client = clients(step.app, step.connection)
        result: StepResult
        with log_fields(step=step.key):
            if step.kind == "action":
                key = idempotency_key(workflow_id, dedupe_key, step.key)
                result = run_action(client, step.operation, inputs, key)
            else:
                result = run_search(client, step.operation, inputs)
        if result.outcome == "not_found" and step.required:
            raise StepFailed(f"search '{step.operation}' found nothing for {json.dumps(inputs, default=str)}")
    except (IntegrationError, TemplateError) as exc:
        _log_failure(workflow_id, dedupe_key, step.key, exc)
        if isinstance(exc, IntegrationError):
            exc.step_key = step.key
        raise
    with get_engine().begin() as connection:
        record_step(
            connection, workflow_id, dedupe_key, step.key, ActionOutcome(result.outcome),
            status_code=result.status_code, result=result.result, request=result.request,
        )  # fmt: skip
    return result.result


def _log_failure(workflow_id: int, dedupe_key: str, step_key: str, exc: Exception) -> None:
    status = exc.status if isinstance(exc, HttpError) else None
    with get_engine().begin() as connection:
        record_step(
            connection, workflow_id, dedupe_key, step_key, ActionOutcome.FAILED,
            status_code=status, error=f"{type(exc).__name__}: {exc}",
        )  # fmt: skip


def run_steps(
    spec: WorkflowSpec, workflow_id: int, dedupe_key: str, trigger_data: Any, clients: ClientFactory
) -> dict[str, Any]:
    """Every step in order for one event; returns the outputs by step key. A step the action log already has as
    done is not sent again (its logged output is used): replays, retries and redrains are safe."""
    with get_engine().connect() as connection:
        outputs = done_steps(connection, workflow_id, dedupe_key)
    for step in spec.steps:
        if step.key not in outputs:
            outputs[step.key] = run_step(spec, workflow_id, step, dedupe_key, trigger_data, outputs, clients)
    return outputs
