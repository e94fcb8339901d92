"""Small app versions and clients pointed at the scripted server."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests

from connectors.runtime.http.client import AppClient, ConnectionValues
from connectors.runtime.http.request import RenderedRequest
from connectors.spec.app_version import AppVersionSpec

# Fast by default: no backoff, no jitter; tests that look at waits set their own policy.
FAST_RETRY: dict[str, Any] = {"max_attempts": 3, "initial_backoff": 0, "max_backoff": 0, "jitter": 0}


def make_spec(
    retry: dict[str, Any] | None = None,
    rate_limit: dict[str, Any] | None = None,
    auth: dict[str, Any] | None = None,
    **extra: Any,
) -> AppVersionSpec:
    """A minimal app version whose base URL comes from the `base_url` environment variable."""
    document: dict[str, Any] = {
        "app": {"key": "probe", "name": "Probe", "category": "generic"},
        "version": "1.0.0",
        "base_url": "{{ env.base_url }}",
        "environment": {"base_url": {"type": "string", "required": True}},
        "auth": auth or {"type": "none"},
        "retry": FAST_RETRY if retry is None else retry,
        **extra,
    }
    if rate_limit is not None:
        document["rate_limit"] = rate_limit
    return AppVersionSpec.model_validate(document)


def unique_connection() -> str:
    """Rate-limit buckets are cached per (app, connection) for the whole process: never share one by accident."""
    return f"conn-{uuid.uuid4().hex[:12]}"


def make_client(
    spec: AppVersionSpec,
    base_url: str,
    *,
    sleep: Callable[[float], None] | None = None,
    connection_id: str | None = None,
    credentials: dict[str, Any] | None = None,
) -> AppClient:
    session = requests.Session()
    session.trust_env = False  # no *_proxy variables: traffic goes straight to 127.0.0.1
    kwargs: dict[str, Any] = {} if sleep is None else {"sleep": sleep}
    return AppClient(
        spec,
        ConnectionValues(connection_id or unique_connection(), credentials or {}),
        environment={"base_url": base_url},
        session=session,
        **kwargs,
    )


def get(client: AppClient, path: str, **params: Any) -> requests.Response:
    return client.send(RenderedRequest("GET", client.base_url.rstrip("/") + path, params=params))


class SleepRecorder:
    """A `sleep` that records the delays asked for and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def http_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "connectors.http"]
