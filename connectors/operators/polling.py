"""Operators of polling workflow DAGs: poll the data interval, gate the batch, process it in mapped batches."""

from __future__ import annotations

import json
from typing import Any

from airflow.sdk import Context
from airflow.sdk.exceptions import AirflowException

from connectors.operators.workflow import WorkflowOperator, app_client
from connectors.registry.db import session_scope
from connectors.registry.inbox import set_status
from connectors.registry.models import EventStatus
from connectors.runtime.polling import poll
from connectors.spec.triggers import PollingTriggerSpec
from connectors.workflows.batches import load_events, process_events, store_polled_records

BATCH_SIZE = 50


def batches(event_ids: list[int], size: int = BATCH_SIZE) -> list[list[int]]:
    return [event_ids[i : i + size] for i in range(0, len(event_ids), size)]


class PollOperator(WorkflowOperator):
    """Polls the run's data interval [start, end) and stores each record in the inbox (deduped).

    Returns the events still to process in batches, for `ProcessBatchOperator.expand`.
    """

    def execute(self, context: Context) -> list[list[int]]:
        start, end = context["data_interval_start"], context["data_interval_end"]
        trigger_ref = self.workflow.trigger
        client = app_client(trigger_ref.app, trigger_ref.connection)
        trigger: PollingTriggerSpec = client.spec.triggers[trigger_ref.key]  # type: ignore[assignment]
        records = list(poll(client, trigger_ref.key, start, end, trigger_ref.parameters))
        pending = store_polled_records(self.workflow_id, trigger, records)
        self.log.info("window %s to %s: %d records, %d to process", start, end, len(records), len(pending))
        if self.workflow.quality:
            pending = self._quality_gate(pending, trigger)
        return batches(pending)

    def _quality_gate(self, pending: list[int], trigger: PollingTriggerSpec) -> list[int]:
        # imported here, not at the top: pandas (~0.5-1 s) would otherwise be paid by every parse of the DAG file,
        # by the DAG processor and by workers running any task, while only polls with a quality suite use it
        from connectors.workflows.quality import quality_gate

        quality = self.workflow.quality
        assert quality is not None
        events = [(event.id, json.loads(event.payload)) for event in load_events(pending)]
        report = quality_gate(events, quality, self.workflow.trigger.parameters, trigger.updated_at_field)
        with session_scope() as session:
            for event_id in report.superseded:
                set_status(session, event_id, EventStatus.FILTERED, error="superseded by a later update in the window")
            for event_id, reasons in report.failed.items():
                set_status(session, event_id, EventStatus.FAILED, error="quality: " + "; ".join(reasons))
        for event_id, reasons in sorted(report.failed.items()):
            self.log.warning("kept aside, not pushed: event %s: %s", event_id, "; ".join(reasons))
        self.log.info(
            "quality gate: %d to push, %d superseded, %d kept aside",
            len(report.passed), len(report.superseded), len(report.failed),
        )  # fmt: skip
        return report.passed


class ProcessBatchOperator(WorkflowOperator):
    """Conditions and steps for each event of one batch; fails (to be retried) if any event failed."""

    def __init__(self, *, event_ids: list[int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.event_ids = event_ids

    def execute(self, context: Context) -> dict[str, Any]:
        summary = process_events(self.workflow, self.workflow_id, self.event_ids, app_client)
        self.log.info(
            "batch: %d succeeded, %d filtered, %d failed",
            len(summary.succeeded), len(summary.filtered), len(summary.failed),
        )  # fmt: skip
        if summary.failed:
            details = "; ".join(f"event {event_id}: {error}" for event_id, error in summary.failed.items())
            raise AirflowException(f"{len(summary.failed)} event(s) failed: {details}")
        return {"succeeded": summary.succeeded, "filtered": summary.filtered}
