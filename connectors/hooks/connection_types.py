"""The type of an Airflow connection as a task would find it, for checks made before a workflow runs."""

from __future__ import annotations

from connectors.workflows.validation import ConnectionsUnreadable


class AirflowConnectionTypes:
    """The type of a connection as a task would find it: asked of Airflow's secrets backends in order
    (`AIRFLOW_CONN_<ID>` variables, a configured backend, the metadata database). A backend that cannot be read
    (the metadata database not set up) is noted and not asked again; a connection no readable backend has is
    then unknown (`ConnectionsUnreadable`), not missing."""

    def __init__(self) -> None:
        self.types: dict[str, str | None] = {}
        self.unreadable: dict[str, str] = {}  # backend -> why
        self.unchecked: set[str] = set()

    def __call__(self, conn_id: str) -> str | None:
        if conn_id not in self.types:
            self.types[conn_id] = self._look_up(conn_id)
        return self.types[conn_id]

    def _look_up(self, conn_id: str) -> str | None:
        try:
            from airflow.configuration import ensure_secrets_loaded

            backends = ensure_secrets_loaded()
        except Exception as exc:
            backends, self.unreadable["Airflow"] = [], _first_line(exc)
        for backend in backends:
            name = type(backend).__name__
            if name in self.unreadable:
                continue
            try:
                connection = backend.get_connection(conn_id)
            except Exception as exc:  # whatever a backend raises (no table, no server, denied): it cannot tell
                self.unreadable[name] = _first_line(exc)
                continue
            if connection is not None:
                return str(connection.conn_type)
        if self.unreadable:
            self.unchecked.add(conn_id)
            raise ConnectionsUnreadable(conn_id)
        return None

    def warnings(self, missing_allowed: bool) -> list[str]:
        """What the check could not settle: connections not checked, and missing ones that were allowed."""
        found = []
        if self.unchecked:
            reasons = "; ".join(f"{backend}: {why}" for backend, why in self.unreadable.items())
            found.append(
                f"warning: connections not checked: Airflow's connections could not be read ({reasons}); "
                f"{', '.join(sorted(self.unchecked))} may not exist (`airflow db migrate` sets up Airflow's database)"
            )
        missing = sorted(conn_id for conn_id, kind in self.types.items() if kind is None)
        if missing and missing_allowed:
            found.append(
                f"warning: these Airflow connections do not exist yet, runs that use them fail until they do: "
                f"{', '.join(missing)}"
            )
        return found


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
