"""Build small app versions around one auth block, for auth tests."""

from __future__ import annotations

from typing import Any

from connectors.runtime.auth import MemoryTokenStore, TokenStore
from connectors.runtime.http.client import AppClient, ConnectionValues
from connectors.runtime.http.request import RenderedRequest
from connectors.spec.app_version import AppVersionSpec


def app_with_auth(auth: dict[str, Any], base_url: str, **extra: Any) -> AppVersionSpec:
    return AppVersionSpec.model_validate(
        {
            "app": {"key": "probe", "name": "Probe", "category": "generic"},
            "version": "1.0.0",
            "base_url": base_url,
            "auth": auth,
            "retry": {"max_attempts": 2, "initial_backoff": 0, "jitter": 0},
            **extra,
        }
    )


def client_for(
    spec: AppVersionSpec,
    credentials: dict[str, Any],
    connection_id: str = "acme",
    token_store: TokenStore | None = None,
) -> AppClient:
    return AppClient(spec, ConnectionValues(connection_id, credentials), token_store=token_store or MemoryTokenStore())


def get(client: AppClient, path: str, **params: Any) -> Any:
    response = client.send(RenderedRequest("GET", client.base_url.rstrip("/") + path, params=params))
    return response.json()
