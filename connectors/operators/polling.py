"""The first task of a polling workflow: poll the run's data interval into the inbox, with the quality gate."""

from __future__ import annotations

import datetime as dt
from typing import Any

from airflow.sdk import Context

from connectors.operators.workflow import WorkflowOperator, app_client

POLL = "poll"
FULL_START = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class PollOperator(WorkflowOperator):
    """Polls the data interval [start, end) and stores each record as an event (deduped); records the quality
    gate keeps aside are marked failed with their reasons before any run claims them.

    A run triggered with conf `{"reconcile": true}` takes the window's records again even if earlier runs pushed
    them, and its steps send every item (after a restore, or a change made by hand in the target); with
    `{"reconcile": "full"}` the window starts at the epoch: every record the app holds."""

    def execute(self, context: Context) -> dict[str, Any]:
        from connectors.registry.db import session_scope
        from connectors.registry.models import Workflow
        from connectors.runtime.polling import poll
        from connectors.workflows.polled_records import store_polled_records
        from connectors.workflows.store import workflow_spec

        start, end = context["data_interval_start"], context["data_interval_end"]
        reconcile = (context["dag_run"].conf or {}).get("reconcile")
        if reconcile == "full":  # every record the app holds, whenever it last changed
            start = FULL_START
        with session_scope() as session:
            spec = workflow_spec(session.get_one(Workflow, self.workflow_id))
        client = app_client(spec.trigger.app, spec.trigger.connection)
        trigger = client.spec.triggers[spec.trigger.key]
        records = list(poll(client, spec.trigger.key, start, end, spec.trigger.parameters))
        # a reconciliation takes the records again as new events, whatever earlier runs did with them
        suffix = f"|reconcile:{context['dag_run'].run_id}" if reconcile else ""
        pending = store_polled_records(self.workflow_id, trigger, records, suffix)  # type: ignore[arg-type]
        self.log.info("window %s to %s: %d records, %d to process", start, end, len(records), len(pending))
        kept_aside = 0
        if spec.quality:
            # imported here: pandas and Great Expectations cost about a second, and only gated polls use them
            from connectors.workflows.quality import set_aside

            kept_aside = set_aside(pending, spec.quality, spec.trigger.parameters, trigger.updated_at_field)  # type: ignore[union-attr]
        return {"records": len(records), "pending": len(pending) - kept_aside}
