"""Workflow rows -> Airflow DAGs: one DAG per enabled workflow, built from one cheap query.

The workflows are spread over the shard files of the DAGs folder (`dags/shard_03_of_16.py` builds the workflows whose
DAG id hashes to shard 3, `connectors.registry.dag_ids.shard_of`), so each file stays small at 10,000 workflows and
a changed workflow re-parses only its file. A worker running one task builds only its own DAG
(`get_parsing_context`). A row that cannot be built becomes a DAG of its own that shows the error (tag `broken`), so
the other workflows still load.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from airflow.sdk import DAG, CronDataIntervalTimetable, get_parsing_context
from sqlalchemy import JSON, Boolean, DateTime, column, select, table
from sqlalchemy.exc import OperationalError, ProgrammingError

from connectors.operators.polling import POLL, PollOperator
from connectors.operators.workflow import PROCESS_EVENTS, ProcessEventsOperator
from connectors.registry.dag_ids import DAG_PREFIX, dag_id_for, parse_dag_id, shard_of, shard_of_file
from connectors.registry.db import get_engine

log = logging.getLogger(__name__)

DEFAULT_START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
MAX_ACTIVE_DRAINS = 4  # runs of one webhook workflow at once; they claim different events
DEFAULT_ARGS: dict[str, Any] = {
    "owner": "integrations",
    "retries": 3,
    "retry_delay": dt.timedelta(seconds=30),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": dt.timedelta(minutes=30),
}


@dataclass
class StepRow:
    key: str
    app: str
    version: str
    connection: str
    kind: str
    operation: str


@dataclass
class WorkflowRow:
    id: int
    client: str
    key: str
    name: str
    description: str | None
    trigger: str
    trigger_key: str
    conditions: dict[str, Any]
    schedule: str | None
    start_date: dt.datetime | None
    revision: int
    steps: list[StepRow] = field(default_factory=list)

    @property
    def dag_id(self) -> str:
        return dag_id_for(self.client, self.key)


# The two tables as the query needs them (lightweight clauses, not the ORM models): a worker parsing the DAG file
# for one task then skips configuring the registry's mappers, about 20 ms.
_WORKFLOWS = table(
    "workflows",
    *map(column, ["id", "client", "key", "name", "description", "trigger_app", "trigger_version", "trigger_key"]),
    column("conditions", JSON), column("schedule"), column("start_date", DateTime(timezone=True)),
    column("revision"), column("enabled", Boolean),
)  # fmt: skip
_STEPS = table("workflow_steps", *map(column, ["workflow_id", "position", "key", "app", "version", "connection",
                                               "kind", "operation"]))  # fmt: skip


def workflow_rows(
    only_dag_id: str | None = None, url: str | None = None, shard: tuple[int, int] | None = None
) -> list[WorkflowRow]:
    """Enabled workflows with their steps, in one query, sorted for deterministic DAGs; with `shard` (index, count),
    only the workflows of that shard."""
    w, s = _WORKFLOWS.c, _STEPS.c
    query = (
        select(
            w.id,
            w.client,
            w.key,
            w.name,
            w.description,
            w.trigger_app,
            w.trigger_version,
            w.trigger_key,
            w.conditions,
            w.schedule,
            w.start_date,
            w.revision,
            s.key,
            s.app,
            s.version,
            s.connection,
            s.kind,
            s.operation,
        )  # fmt: skip
        .select_from(_WORKFLOWS.outerjoin(_STEPS, s.workflow_id == w.id))
        .where(w.enabled.is_(True))
        .order_by(w.client, w.key, s.position)
    )
    if only_dag_id:
        client_key = parse_dag_id(only_dag_id)
        if client_key is None:
            return []
        query = query.where(w.client == client_key[0], w.key == client_key[1])
    rows: dict[int, WorkflowRow] = {}
    with get_engine(url).connect() as connection:
        for r in connection.execute(query):
            row = rows.get(r[0])
            if row is None and shard is not None and shard_of(dag_id_for(r[1], r[2]), shard[1]) != shard[0]:
                continue
            if row is None:
                row = rows[r[0]] = WorkflowRow(
                    r[0], r[1], r[2], r[3], r[4], f"{r[5]}@{r[6]}", r[7], r[8] or {}, r[9], r[10], r[11]
                )
            if r[12] is not None:
                row.steps.append(StepRow(r[12], r[13], r[14], r[15], r[16], r[17]))
    return list(rows.values())


def describe(row: WorkflowRow) -> str:
    """The DAG's `doc_md`: trigger -> conditions -> steps."""
    lines = [f"### {row.name}", "", row.description or "", "", f"**Trigger**: `{row.trigger}` {row.trigger_key}"]
    if row.schedule:
        lines.append(f"(polling `{row.schedule}`; each run polls its data interval, so backfills re-sync a period)")
    conditions = [
        f"`{c['field']} {c['operator']} {c.get('value')!r}`"
        for group in ("all", "any")
        for c in row.conditions.get(group, [])
    ]
    lines += ["", "**Conditions**: " + (", ".join(conditions) if conditions else "none"), "", "**Steps**:"]
    lines += [f"{n}. {s.kind} `{s.app}@{s.version}` {s.operation} (connection `{s.connection}`)"
              for n, s in enumerate(row.steps, 1)]  # fmt: skip
    lines += ["", f"Workflow {row.id}, revision {row.revision}."]
    return "\n".join(lines)


def polling_timetable(schedule: str) -> CronDataIntervalTimetable:
    """Runs cover back-to-back data intervals (Airflow 3's default cron timetable gives zero-length ones):
    the interval is the polling window, so a backfill re-polls exactly the period it covers."""
    return CronDataIntervalTimetable(schedule, timezone="UTC")


def build_dag(row: WorkflowRow, deprecated: dict[str, str] | None = None) -> DAG:
    """Every workflow DAG ends with one task that drains its events; a polling workflow polls its window first.
    The steps run inside that task, event by event, so the DAG's shape does not depend on them."""
    if row.schedule:
        from connectors.workflows.schedules import is_valid_schedule

        if not is_valid_schedule(row.schedule):
            raise ValueError(f"schedule {row.schedule!r} is neither a cron expression nor a preset")
    apps = sorted({row.trigger.partition("@")[0], *(s.app for s in row.steps)})
    refs = {row.trigger, *(f"{s.app}@{s.version}" for s in row.steps)}
    retiring = sorted(ref for ref in refs if ref in (deprecated or {}))
    doc = describe(row) + "".join(
        f"\n\n**Deprecated**: `{ref}` is sunset on {(deprecated or {})[ref]}; upgrade with "
        f"`integrations workflows upgrade {row.id} --to ...`"
        for ref in retiring
    )
    dag = DAG(
        dag_id=row.dag_id,
        description=row.name,
        doc_md=doc,
        schedule=polling_timetable(row.schedule) if row.schedule else None,
        start_date=row.start_date or DEFAULT_START,
        catchup=False,
        tags=[f"client:{row.client}", *(f"app:{app}" for app in apps), *(f"deprecated:{ref}" for ref in retiring)],
        default_args=DEFAULT_ARGS,
        max_active_runs=MAX_ACTIVE_DRAINS if row.schedule is None else 1,
    )
    with dag:
        poll = PollOperator(task_id=POLL, workflow_id=row.id) if row.schedule else None
        # a polling run drains its whole window, however long the app's rate budget makes that
        budget = None if row.schedule else 600.0
        drain = ProcessEventsOperator(task_id=PROCESS_EVENTS, workflow_id=row.id, time_budget_seconds=budget)
        if poll is not None:
            poll >> drain
    return dag


def broken_dag(row: WorkflowRow, error: Exception) -> DAG:
    """A stand-in that shows why this workflow could not be built, instead of hiding every workflow."""
    from airflow.providers.standard.operators.python import PythonOperator

    message = f"workflow {row.client}/{row.key} (id {row.id}) could not be built: {type(error).__name__}: {error}"

    def fail() -> None:
        raise RuntimeError(message)

    dag = DAG(dag_id=row.dag_id, doc_md=f"**Broken workflow**\n\n{message}", schedule=None,
              start_date=DEFAULT_START, tags=[f"client:{row.client}", "broken"])  # fmt: skip
    with dag:
        PythonOperator(task_id="show_error", python_callable=fail)
    return dag


def build_dags(rows: Iterable[WorkflowRow], deprecated: dict[str, str] | None = None) -> dict[str, DAG]:
    dags = {}
    for row in rows:
        try:
            dags[row.dag_id] = build_dag(row, deprecated)
        except Exception as exc:  # one bad row must not hide the other workflows
            log.error("workflow %s/%s could not be built: %s", row.client, row.key, exc)
            dags[row.dag_id] = broken_dag(row, exc)
    return dags


def register_shard(namespace: MutableMapping[str, Any], file: str, url: str | None = None) -> dict[str, DAG]:
    """A shard file's DAGs: `register_shard(globals(), __file__)` in `dags/shard_03_of_16.py`."""
    shard = shard_of_file(os.path.basename(file))
    if shard is None:
        raise ValueError(f"{file}: a shard file is named shard_<index>_of_<count>.py, e.g. shard_03_of_16.py")
    return register_workflow_dags(namespace, url, shard)


def register_workflow_dags(
    namespace: MutableMapping[str, Any], url: str | None = None, shard: tuple[int, int] | None = None
) -> dict[str, DAG]:
    """Put the workflow DAGs (of `shard`, else all) into a DAG file's globals; only the requested DAG when a worker
    runs one task."""
    wanted = get_parsing_context().dag_id
    if wanted is not None and not wanted.startswith(DAG_PREFIX):
        return {}
    if wanted is not None and shard is not None and shard_of(wanted, shard[1]) != shard[0]:
        return {}
    try:
        rows = workflow_rows(wanted, url, shard)
    except (OperationalError, ProgrammingError) as exc:
        log.warning("registry database not ready (run `integrations db migrate`): %s", exc)
        return {}
    # a worker runs one task: it needs the DAG's tasks, not the deprecation marks (which read every app file)
    deprecated = None
    if wanted is None:
        from connectors.spec.catalog import deprecated_versions

        deprecated = deprecated_versions()
    dags = build_dags(rows, deprecated)
    namespace.update(dags)
    return dags
