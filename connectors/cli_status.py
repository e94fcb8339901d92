"""`integrations status`: Airflow's components, the inbox backlog and failed events, at a glance (the management
API's `GET /status` gives the same answer, `connectors.services.status`)."""

from __future__ import annotations

import json
import sys

import click

from connectors.services.status import platform_status
from connectors.webhooks.health import platform_health
from connectors.webhooks.settings import WebhookSettings


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the whole answer as JSON.")
def status(as_json: bool) -> None:
    """Exit status 1 when degraded: an Airflow component unhealthy or unreachable, or the backlog stuck."""
    settings = WebhookSettings.from_env()
    health = platform_status(lambda: platform_health(settings.db_url, settings.airflow_api_url))
    if as_json:
        click.echo(json.dumps(health.as_dict(), indent=2, default=str))
    else:
        click.echo(f"status: {health.status}")
        airflow = health.airflow
        if "error" not in airflow:
            for component, state in airflow.items():
                state = state or {}
                beat = next((v for k, v in state.items() if k.endswith("heartbeat")), None)
                click.echo(f"  airflow {component}: {state.get('status')}" + (f" (heartbeat {beat})" if beat else ""))
        inbox = health.inbox
        if inbox is not None:
            age = inbox["oldest_waiting_seconds"]
            click.echo(f"  inbox: {inbox['received']} waiting, {inbox['running']} running, {inbox['failed']} failed"
                       + (f"; oldest waiting {age:.0f} s" if age is not None else ""))  # fmt: skip
        for problem in health.problems:
            click.echo(f"  problem: {problem}")
        for warning in health.warnings:
            click.echo(f"  warning: {warning}")
    sys.exit(0 if health.ok else 1)
