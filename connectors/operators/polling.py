"""The first task of a polling workflow: poll the run's data interval into the inbox, with the quality gate."""

from __future__ import annotations

from typing import Any

from airflow.sdk import Context

from connectors.operators.workflow import WorkflowOperator, app_client

POLL = "poll"


class PollOperator(WorkflowOperator):
    """Polls the data interval [start, end) and stores each record as an event (deduped); records the quality
    gate keeps aside are marked failed with their reasons before any run claims them."""

    def execute(self, context: Context) -> dict[str, Any]:
        from connectors.registry.db import session_scope
        from connectors.registry.models import Workflow
        from connectors.runtime.polling import poll
        from connectors.workflows.polled_records import store_polled_records
        from connectors.workflows.store import workflow_spec

        start, end = context["data_interval_start"], context["data_interval_end"]
        with session_scope() as session:
            spec = workflow_spec(session.get_one(Workflow, self.workflow_id))
        client = app_client(spec.trigger.app, spec.trigger.connection)
        trigger = client.spec.triggers[spec.trigger.key]
        records = list(poll(client, spec.trigger.key, start, end, spec.trigger.parameters))
        pending = store_polled_records(self.workflow_id, trigger, records)  # type: ignore[arg-type]
        self.log.info("window %s to %s: %d records, %d to process", start, end, len(records), len(pending))
        kept_aside = 0
        if spec.quality:
            # imported here: pandas and Great Expectations cost about a second, and only gated polls use them
            from connectors.workflows.quality import set_aside

            kept_aside = set_aside(pending, spec.quality, spec.trigger.parameters, trigger.updated_at_field)  # type: ignore[union-attr]
        return {"records": len(records), "pending": len(pending) - kept_aside}
