"""The chaos results: each scenario's figures kept in `results.json` beside this file, and the table rendered from
them into docs/reliability.md between its markers. The scenarios record as they finish, so a partial run updates
its own rows and keeps the others.

    .venv/bin/python -m tests.chaos.report      # render the table again from results.json
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESULTS = Path(__file__).with_name("results.json")
DOC = ROOT / "docs" / "reliability.md"
START, END = "<!-- chaos-table:start -->", "<!-- chaos-table:end -->"

# Table rows in this order; the key is what a test records under.
SCENARIOS = {
    "eshopbox_down": "Eshopbox down (connection refused, then 503s) while 200 Shopify orders arrive",
    "answer_lost_503": "Eshopbox creates the order, its answer is lost (503)",
    "answer_lost_reset": "Eshopbox creates the order, the connection is reset before the answer",
    "webhooks_thrice": "Every webhook delivered 3 times, interleaved and concurrent",
    "task_killed": "`kill -9` of the task process while an Eshopbox create is in flight",
    "airflow_api_stopped": "2,000 webhooks while Airflow's api-server is stopped",
    "database_restarted": "The PostgreSQL of the registry (and of Airflow) restarted mid-burst",
}


@dataclass(frozen=True)
class Outcome:
    """One scenario's figures: events the receiver acknowledged (of `sent` webhooks, when some never were), orders
    lost (acknowledged, never created), orders duplicated (created again, or a create sent again for an existing
    order), seconds from the end of the fault to the last of its events done (None: not recovered)."""

    events: int
    lost: int
    duplicated: int
    recover_seconds: float | None
    sent: int | None = None
    measured_at: str = ""


def load() -> dict[str, Outcome]:
    if not RESULTS.exists():
        return {}
    return {key: Outcome(**row) for key, row in json.loads(RESULTS.read_text())["scenarios"].items()}


def record(scenario: str, outcome: Outcome) -> None:
    """Keep `outcome` as the scenario's latest figures and render the table again."""
    if scenario not in SCENARIOS:
        raise KeyError(f"unknown scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    results = {**load(), scenario: Outcome(**{**asdict(outcome), "measured_at": stamp})}
    machine = f"{os.cpu_count()} cores, {platform.system()} {platform.machine()}, Python {platform.python_version()}"
    document = {"machine": machine, "scenarios": {key: asdict(results[key]) for key in SCENARIOS if key in results}}
    RESULTS.write_text(json.dumps(document, indent=2) + "\n")
    render()


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "**not recovered**"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{seconds:.1f} s"


def table(results: dict[str, Outcome]) -> str:
    lines = ["| scenario | events | lost | duplicated | time to recover |", "|---|---|---|---|---|"]
    for key, title in SCENARIOS.items():
        outcome = results.get(key)
        if outcome is None:
            lines.append(f"| {title} | not run | | | |")
            continue
        lost = f"**{outcome.lost}**" if outcome.lost else "0"
        duplicated = f"**{outcome.duplicated}**" if outcome.duplicated else "0"
        events = f"{outcome.events:,}"
        if outcome.sent not in (None, outcome.events):
            events = f"**{outcome.events:,} of {outcome.sent:,} acknowledged**"
        lines.append(f"| {title} | {events} | {lost} | {duplicated} | {_duration(outcome.recover_seconds)} |")
    stamps = sorted(o.measured_at for o in results.values() if o.measured_at)
    if stamps:
        when = stamps[0] if stamps[0] == stamps[-1] else f"{stamps[0]} to {stamps[-1]}"
        lines += ["", f"Measured {when} by `make chaos`."]
    return "\n".join(lines)


def render(doc: Path = DOC) -> None:
    """Replace what lies between the markers in `doc` with the table of the recorded results."""
    text = doc.read_text()
    head, start, rest = text.partition(START)
    _, end, tail = rest.partition(END)
    if not start or not end:
        raise ValueError(f"{doc} has no {START} ... {END} markers")
    doc.write_text(f"{head}{START}\n{table(load())}\n{END}{tail}")


if __name__ == "__main__":
    render()
