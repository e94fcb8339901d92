"""The calls the platform makes to Airflow's REST API v2: get a token, trigger a DAG run, read health.

Outcomes of `POST /api/v2/dags/{dag_id}/dagRuns`:
- 200/201: triggered; 409: a run with that id exists (triggered before);
- 404: the DAG is not parsed yet; 400/422: Airflow refuses this run for good;
- 401/403, 408, 429, 5xx, connection errors: Airflow is unavailable for now.
The bearer token comes from `POST /auth/token` and is fetched again once after a 401. The password and the token
are registered for log redaction and never logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

from connectors.runtime.redaction import redact, register_secret

TRIGGERED, EXISTS, NOT_FOUND, UNAVAILABLE, REFUSED = "triggered", "exists", "not_found", "unavailable", "refused"


@dataclass(frozen=True)
class TriggerOutcome:
    kind: str  # triggered | exists | not_found | unavailable | refused
    detail: str = ""


class _TokenRefused(Exception):
    pass


class AirflowApi:
    """Not thread-safe: one dispatcher thread uses one instance."""

    def __init__(
        self,
        base_url: str,
        username: str | None,
        password: str | None,
        timeout: float = 10.0,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.username, self._password, self.timeout = username, password, timeout
        self.session = session or requests.Session()
        self.session.trust_env = False  # the API is on this host or this network: never through a proxy
        self._token: str | None = None
        self.token_fetches = 0
        register_secret(password)

    def _fetch_token(self) -> str | None:
        if not self.username:
            return None  # no credentials configured: call without a token (e.g. all-admins simple auth)
        response = self.session.post(
            f"{self.base_url}/auth/token",
            json={"username": self.username, "password": self._password},
            timeout=self.timeout,
        )
        self.token_fetches += 1
        if response.status_code not in (200, 201):
            raise _TokenRefused(f"token request answered {response.status_code}")
        token = response.json()["access_token"]
        register_secret(token)
        return token

    def _post_run(self, dag_id: str, body: dict[str, Any]) -> requests.Response:
        if self._token is None:
            self._token = self._fetch_token()
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        return self.session.post(
            f"{self.base_url}/api/v2/dags/{dag_id}/dagRuns", json=body, headers=headers, timeout=self.timeout
        )

    def trigger(self, dag_id: str, run_id: str, conf: dict[str, Any], note: str) -> TriggerOutcome:
        body = {"dag_run_id": run_id, "logical_date": None, "conf": conf, "note": note[:1000]}
        try:
            response = self._post_run(dag_id, body)
            if response.status_code == 401:  # token expired or revoked: fetch a new one, once
                self._token = None
                response = self._post_run(dag_id, body)
        except _TokenRefused as exc:
            return TriggerOutcome(UNAVAILABLE, str(exc))
        except (requests.ConnectionError, requests.Timeout) as exc:
            return TriggerOutcome(UNAVAILABLE, f"Airflow API unreachable: {type(exc).__name__}")
        except (requests.RequestException, ValueError, KeyError) as exc:  # e.g. a token answer without a token
            return TriggerOutcome(UNAVAILABLE, f"Airflow API call failed: {type(exc).__name__}")
        status = response.status_code
        if status in (200, 201):
            return TriggerOutcome(TRIGGERED)
        if status == 409:
            return TriggerOutcome(EXISTS)
        if status == 404:
            return TriggerOutcome(NOT_FOUND, f"DAG {dag_id} not found in Airflow (not parsed yet?)")
        detail = f"Airflow API answered {status}: {redact(response.text[:300])}"
        if status in (400, 422):
            return TriggerOutcome(REFUSED, detail)
        if status == 401:
            self._token = None
        return TriggerOutcome(UNAVAILABLE, detail)

    def run_state(self, dag_id: str, run_id: str) -> str | None:
        """`queued`, `running`, `success`, `failed`; None when the run is unknown or Airflow does not answer."""
        try:
            if self._token is None:
                self._token = self._fetch_token()
            headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
            response = self.session.get(
                f"{self.base_url}/api/v2/dags/{dag_id}/dagRuns/{run_id}", headers=headers, timeout=self.timeout
            )
            if response.status_code == 401:
                self._token = None
            return response.json().get("state") if response.status_code == 200 else None
        except (_TokenRefused, requests.RequestException, ValueError, KeyError):
            return None


def airflow_health(base_url: str, timeout: float = 3.0) -> dict[str, Any]:
    """Airflow's own health (`GET /api/v2/monitor/health`, no auth): each component's status and latest
    heartbeat, or `{"error": ...}` when the api-server does not answer."""
    try:
        response = requests.get(f"{base_url.rstrip('/')}/api/v2/monitor/health", timeout=timeout)
        response.raise_for_status()
        return response.json()
    except (requests.RequestException, ValueError) as exc:
        return {"error": f"Airflow api-server did not answer: {type(exc).__name__}"}
