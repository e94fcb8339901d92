"""Webhook `verify` templates that read the app version's environment (`env.*`), as docs/apps.md allows: the
receiver reads the values workers read (the Airflow Variable `integrations_env__<app>__<version>`, here through
an `AIRFLOW_VAR_*` variable) and the connection from an `AIRFLOW_CONN_*` variable: Airflow's own lookups."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from pathlib import Path

import pytest

from connectors.registry.db import session_scope
from connectors.spec import Catalog
from connectors.workflows.store import apply_workflows, load_workflow_files

SIGNING_SECRET = "relay-signing-secret-4f1c2e9a"
ROUTE = "/webhooks/relay/event_sent/acme_relay"
ENV_VARIABLE = "AIRFLOW_VAR_INTEGRATIONS_ENV__RELAY__1_0_0"
RELAY = """
app: {key: relay, name: Relay, description: Signs its webhooks with one secret per app version., category: generic}
version: 1.0.0
base_url: "{{ env.BASE_URL }}"
auth: {type: api_key, fields: {api_token: {}}, headers: {X-Token: "{{ auth.api_token }}"}}
environment:
  BASE_URL: {default: "http://127.0.0.1:9"}
  SIGNING_SECRET: {secret: true, required: true, description: The partner's webhook signing secret.}
triggers:
  event_sent:
    type: webhook
    name: Event sent
    verify:
      scheme: hmac
      header: X-Relay-Signature
      secret: "{{ env.SIGNING_SECRET }}"
      encoding: hex
      prefix: "sha256="
    dedupe_key: {path: id}
    output: {id: {}}
actions:
  forward:
    name: Forward
    inputs: {id: {required: true}}
    request: {method: POST, url: /events, json: {id: "{{ inputs.id }}"}}
"""
WORKFLOW = """
client: acme
key: relay_forward
name: Relay event forwarded
trigger: {app: relay@1.0.0, connection: acme_relay, key: event_sent}
steps:
  - {key: forward, app: relay@1.0.0, connection: acme_relay, action: forward, inputs: {id: "{{ trigger.id }}"}}
"""


@pytest.fixture
def relay(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, registry: str) -> Catalog:
    """The relay app in an extra apps folder, its workflow in the registry, its Airflow Connection."""
    (tmp_path / "apps" / "relay").mkdir(parents=True)
    (tmp_path / "apps" / "relay" / "1.0.0.yaml").write_text(RELAY)
    (tmp_path / "relay_forward.yaml").write_text(WORKFLOW)
    monkeypatch.setenv("INTEGRATIONS_APPS_PATH", str(tmp_path / "apps"))
    connection = {"conn_type": "integrations_relay", "extra": {"api_token": "relay-api-token-77"}}
    monkeypatch.setenv("AIRFLOW_CONN_ACME_RELAY", json.dumps(connection))
    catalog = Catalog.load()
    with session_scope(registry) as session:
        apply_workflows(session, load_workflow_files([tmp_path / "relay_forward.yaml"], catalog))
    return catalog


def signed(body: bytes, secret: str = SIGNING_SECRET) -> dict[str, str]:
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Relay-Signature": f"sha256={signature}"}


def test_a_verify_secret_from_the_app_versions_environment_verifies_deliveries(
    relay, start_receiver, monkeypatch, caplog
):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv(ENV_VARIABLE, json.dumps({"SIGNING_SECRET": SIGNING_SECRET}))
    harness = start_receiver(catalog=relay, connection_lookup=None, dispatch=False)
    body = json.dumps({"id": "evt-1", "amount": 12}).encode()

    accepted = harness.post(ROUTE, body, signed(body))
    forged = harness.post(ROUTE, body, signed(body, secret="not-the-secret"))

    assert accepted.status_code == 200, accepted.text
    assert [e["workflow"] for e in accepted.json()["events"]] == ["acme/relay_forward"]
    assert forged.status_code == 401
    assert [event.dedupe_key for event in harness.events()] == ["evt-1"]
    assert SIGNING_SECRET not in caplog.text + "".join(str(record.args) for record in caplog.records)


def test_a_missing_environment_value_refuses_deliveries_and_tells_the_operator_which(
    relay, start_receiver, monkeypatch, caplog
):
    monkeypatch.setenv(ENV_VARIABLE, json.dumps({"BASE_URL": "https://relay.example"}))  # no SIGNING_SECRET
    harness = start_receiver(catalog=relay, connection_lookup=None, dispatch=False)
    body = json.dumps({"id": "evt-2"}).encode()

    with caplog.at_level(logging.ERROR, logger="connectors.webhooks"):
        response = harness.post(ROUTE, body, signed(body))

    assert response.status_code == 401
    assert harness.events() == []
    assert "environment of relay@1.0.0: 'SIGNING_SECRET' is required but has no value" in caplog.text


def test_apps_whose_verify_reads_no_environment_never_read_the_variables(start_receiver, fake_airflow):
    from tests.unit.webhooks.conftest import SHOPIFY_ROUTE, shopify_headers, shopify_order

    def unreachable(spec):
        raise AssertionError(f"environment of {spec.ref} read")

    harness = start_receiver(fake_airflow, environment_lookup=unreachable)
    body = shopify_order()
    assert harness.post(SHOPIFY_ROUTE, body, shopify_headers(body)).status_code == 200
