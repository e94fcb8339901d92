"""Turn a request template into concrete `requests` arguments."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from connectors.runtime.errors import ConfigurationError
from connectors.runtime.templating import TemplateError, render_text, render_url, render_value
from connectors.spec.base import RequestSpec

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})  # RFC 9110 9.2.2


@dataclass(frozen=True)
class RenderedRequest:
    method: str
    url: str
    params: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    json: Any = None
    data: dict[str, Any] | None = None
    idempotent: bool | None = None
    graphql: bool = False  # a GraphQL operation: `json` is {"query", "variables"}; errors may come in a 200
    item_errors: bool = False  # a bulk request: the caller reads per-item `userErrors`, they do not fail it

    @property
    def safe_to_repeat(self) -> bool:
        """Sending it twice has the effect of sending it once: declared by the app, else by the method."""
        return self.idempotent if self.idempotent is not None else self.method in IDEMPOTENT_METHODS

    def as_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"params": self.params, "headers": self.headers}
        if self.json is not None:
            kwargs["json"] = self.json
        if self.data is not None:
            kwargs["data"] = self.data
        return kwargs


def response_body(response: requests.Response) -> Any:
    """The decoded JSON body; None when empty, the text when it is not JSON (some apps answer `OK`)."""
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


def join_url(base_url: str, url: str) -> str:
    """An absolute `url` is kept; a path is appended to `base_url`."""
    if url.startswith(("http://", "https://")):
        return url
    if not base_url:
        raise ConfigurationError(f"relative URL {url!r} needs a base URL")
    return base_url.rstrip("/") + "/" + url.lstrip("/")


def render_request(
    spec: RequestSpec, context: Mapping[str, Any], base_url: str = "", graphql_url: str | None = None
) -> RenderedRequest:
    """Render every template of `spec`; query parameters whose value renders to None are left out. A GraphQL
    operation goes to its own `url` or else to `graphql_url` (the app's endpoint), its query sent as written."""
    if spec.graphql is not None:
        return _render_graphql(spec, context, base_url, graphql_url)
    assert spec.url is not None  # RequestSpec requires it without graphql
    try:
        params = render_value(spec.params, context)
        if not isinstance(params, dict):
            raise ConfigurationError(f"query parameters must render to a mapping, got {type(params).__name__}")
        return RenderedRequest(
            method=spec.method,
            url=join_url(base_url, render_url(spec.url, context)),
            params={name: value for name, value in params.items() if value is not None},
            headers={name: render_text(value, context) for name, value in spec.headers.items()},
            json=render_value(spec.json_body, context),
            data=render_value(spec.form, context),
            idempotent=spec.idempotent,
        )
    except TemplateError as exc:
        raise ConfigurationError(str(exc)) from exc


def _render_graphql(
    spec: RequestSpec, context: Mapping[str, Any], base_url: str, graphql_url: str | None
) -> RenderedRequest:
    assert spec.graphql is not None
    url = spec.url or graphql_url
    if url is None:
        raise ConfigurationError("a graphql request needs the app's 'graphql' endpoint")
    try:
        body: dict[str, Any] = {"query": spec.graphql.query, "variables": render_value(spec.graphql.variables, context)}
        if spec.graphql.operation_name:
            body["operationName"] = spec.graphql.operation_name
        return RenderedRequest(
            method="POST",
            url=join_url(base_url, render_url(url, context)),
            headers={name: render_text(value, context) for name, value in spec.headers.items()},
            json=body,
            idempotent=spec.safe_to_repeat,
            graphql=True,
        )
    except TemplateError as exc:
        raise ConfigurationError(str(exc)) from exc
