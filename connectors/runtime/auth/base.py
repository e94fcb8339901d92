"""What every auth mechanism shares: its context, template rendering and the expiry protocol."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.auth import AuthBase

from connectors.runtime.auth.token_store import MemoryTokenStore, TokenStore
from connectors.runtime.errors import ConfigurationError
from connectors.runtime.redaction import register_secret
from connectors.runtime.templating import render_text
from connectors.spec.auth import _AuthBase as AuthSpecBase

Send = Callable[..., requests.Response]
"""Sends a request without app auth (login and token calls): `send(method, url, **requests_kwargs)`."""


@dataclass
class AuthContext:
    """Everything an auth mechanism may use: its spec, one connection's values, and a way to call out."""

    spec: AuthSpecBase
    connection_id: str
    credentials: Mapping[str, Any]
    properties: Mapping[str, Any] = field(default_factory=dict)
    env: Mapping[str, Any] = field(default_factory=dict)
    token_store: TokenStore = field(default_factory=MemoryTokenStore)
    send: Send | None = None
    app_ref: str = ""
    base_url: str = ""

    def __post_init__(self) -> None:
        fields = self.spec.credential_fields()
        missing = [name for name, f in fields.items() if f.required and self.credentials.get(name) in (None, "")]
        if missing:
            raise ConfigurationError(
                f"connection '{self.connection_id}' lacks credential(s) {', '.join(missing)} for {self.app_ref}"
            )
        register_secret(*(self.credentials.get(name) for name, f in fields.items() if f.secret))

    @property
    def token_key(self) -> str:
        return f"{self.app_ref}:{self.connection_id}"


class AppAuth(AuthBase):
    """A `requests` auth built from an app's auth block. Subclasses apply credentials in `__call__`."""

    def __init__(self, context: AuthContext) -> None:
        self.context = context

    def template_context(self, with_obtained: bool = True) -> dict[str, Any]:
        """Names templates may use: `auth.*` (credentials and obtained tokens), `properties.*`, `env.*`."""
        obtained = self.obtained() if with_obtained else {}
        return {
            "auth": {**self.context.credentials, **obtained},
            "properties": self.context.properties,
            "env": self.context.env,
        }

    def obtained(self) -> dict[str, Any]:
        """Tokens this auth obtained, by the names declared in the spec (`token`, `access_token`)."""
        return {}

    def signals_expiry(self, response: requests.Response) -> bool:
        """True when `response` means the credentials must be renewed (then the call is retried once)."""
        return False

    def renew(self) -> None:
        """Obtain fresh credentials after `signals_expiry`; only called once per request."""
        raise NotImplementedError

    def outbound_send(self) -> Send:
        if self.context.send is None:
            raise ConfigurationError(f"{self.context.app_ref}: this auth needs a sender for its token requests")
        return self.context.send


class TemplatedAuth(AppAuth):
    """Applies the spec's `headers`, `query` and `cookies` templates to each request."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        context = self.template_context()
        spec: Any = self.context.spec
        for name, template in getattr(spec, "headers", {}).items():
            request.headers[name] = render_text(template, context)
        cookies = {name: render_text(t, context) for name, t in getattr(spec, "cookies", {}).items()}
        if cookies:
            existing = request.headers.get("Cookie")
            pairs = "; ".join(f"{name}={value}" for name, value in cookies.items())
            request.headers["Cookie"] = f"{existing}; {pairs}" if existing else pairs
        query = {name: render_text(t, context) for name, t in getattr(spec, "query", {}).items()}
        if query:
            request.prepare_url(request.url, query)
        return request
