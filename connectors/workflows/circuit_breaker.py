"""The circuit breakers one batch consults (registry/circuits.py keeps them): before calling, a batch whose
workflow calls an app found down waits; one batch probes a half-open breaker; a failure trips it, an answer
closes it."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from sqlalchemy import Engine

from connectors.registry.circuits import ConnectionKey, circuits_of, claim_probe, close, trip
from connectors.registry.models import utcnow
from connectors.workflows.spec import WorkflowSpec

log = logging.getLogger(__name__)


def step_connections(spec: WorkflowSpec) -> dict[str, ConnectionKey]:
    """Step key -> the (app, connection) its calls go to."""
    return {step.key: (step.app.partition("@")[0], step.connection) for step in spec.steps}


class BatchBreakers:
    """The breakers of the (app, connection)s a workflow's steps call, for one batch."""

    def __init__(
        self, engine: Engine, spec: WorkflowSpec, backoff: Callable[[int], dt.timedelta], probe_lease: dt.timedelta
    ) -> None:
        self.engine, self.backoff, self.probe_lease = engine, backoff, probe_lease
        self.keys = set(step_connections(spec).values())
        self.probing: set[ConnectionKey] = set()

    def blocked(self) -> tuple[dt.datetime, str] | None:
        """Until when and why the batch may not call (an app down, or another run probing it); None when it may.
        A half-open breaker's probe is taken by this batch."""
        with self.engine.begin() as connection:
            now = utcnow()
            for key, state in circuits_of(connection, self.keys).items():
                until = state.blocked_until(now)
                if until is None and not claim_probe(connection, key, self.probe_lease):
                    until = now + self.probe_lease  # another run took the probe a moment ago
                if until is not None:
                    return until, f"{key[0]} on connection {key[1]} is unavailable ({state.last_error})"
                self.probing.add(key)
                log.info("circuit half-open: %s on connection %s, this run probes", *key)
        return None

    def unavailable(self, key: ConnectionKey, error: str, at_least: dt.datetime | None) -> dt.datetime:
        """A call failed after its retries: trip the breaker; returns until when calls wait."""
        with self.engine.begin() as connection:
            open_until = trip(connection, key, error, self.backoff, at_least)
        self.probing.discard(key)
        log.warning("circuit open: %s on connection %s until %s", *key, open_until)
        return open_until

    def answered(self) -> None:
        """The apps answered (an event done, or refused with a status): close the breakers this batch probed."""
        if self.probing:
            with self.engine.begin() as connection:
                close(connection, self.probing)
            log.info("circuits closed: %s", ", ".join("/".join(key) for key in sorted(self.probing)))
            self.probing.clear()
