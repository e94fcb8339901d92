"""Ask Airflow's DAG processor to parse the shard files of changed workflows now.

The DAG processor parses every file of the DAGs folder again each `[dag_processor] min_file_process_interval`
(30 s by default); a workflow changed in the registry leaves its file unchanged, so without a request its new DAG
waits for that turn. `request_parsing` writes Airflow's own priority parsing requests (the rows `PUT
/api/v2/parseDagFile/{file_token}` writes), one per shard file of the given DAG ids: the processor parses those files
at its next loop, and only those.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy import event
from sqlalchemy.orm import Session

from connectors.registry.dag_ids import dag_id_for, shard_file, shard_of

log = logging.getLogger(__name__)
BUNDLE = "dags-folder"  # Airflow's default bundle: the DAGs folder (`[core] dags_folder`)


def shard_files(dag_ids: Iterable[str]) -> list[str]:
    return sorted({shard_file(shard_of(dag_id)) for dag_id in dag_ids})


def request_parsing(dag_ids: Iterable[str]) -> list[str]:
    """Priority parsing requests for the shard files of `dag_ids`; the files asked for. Best effort: when Airflow's
    metadata database cannot be written (not set up yet), nothing is asked and the DAGs appear at the next regular
    parse."""
    files = shard_files(dag_ids)
    if not files:
        return []
    try:
        from airflow.models.dagbag import DagPriorityParsingRequest
        from airflow.utils.session import create_session
        from sqlalchemy import select

        with create_session() as session:
            asked = set(
                session.scalars(
                    select(DagPriorityParsingRequest.relative_fileloc).where(
                        DagPriorityParsingRequest.bundle_name == BUNDLE,
                        DagPriorityParsingRequest.relative_fileloc.in_(files),
                    )
                )
            )
            session.add_all(DagPriorityParsingRequest(BUNDLE, name) for name in files if name not in asked)
    except Exception as exc:  # any database trouble: the regular parse still comes
        log.warning("could not ask Airflow to parse %s now (%s); the DAGs change at the next parse", files, exc)
        return []
    return files


def parse_changed_workflows(session: Session) -> Session:
    """Watch a registry session: once it commits, the shard files of the workflows it created, changed or deleted
    are asked to be parsed (`request_parsing`). Both faces (command line, management API) watch their sessions, so
    every service that changes a workflow is covered."""
    from connectors.registry.models import Workflow

    changed: set[str] = set()

    @event.listens_for(session, "after_flush")
    def collect(flushed: Session, _context: object) -> None:
        for row in (*flushed.new, *flushed.dirty, *flushed.deleted):
            if isinstance(row, Workflow) and row.client and row.key:
                changed.add(dag_id_for(row.client, row.key))

    @event.listens_for(session, "after_commit")
    def parse(_committed: Session) -> None:
        if changed:
            request_parsing(sorted(changed))
            changed.clear()

    return session
