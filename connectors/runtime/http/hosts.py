"""Where an app version's requests may go: the origin of its base URL and the origins it declares (`allowed_hosts`).

A URL can come from data: a webhook payload mapped to a path, a `next` link or a redirect in a response. None of
them may carry the connection's credentials to a host the sender chose, so every request and every redirect is
checked here. Auth calls (token and login URLs) are part of the app definition and are not checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import requests
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from connectors.runtime.errors import ConfigurationError, PermanentError
from connectors.runtime.templating import TemplateError, render_text
from connectors.spec.app_version import AppVersionSpec

DEFAULT_PORTS = {"http": 80, "https": 443}

Origin = tuple[str, str, int]


def origin_of(url: str) -> Origin | None:
    """(scheme, host, port) of an absolute http(s) URL, parsed as the HTTP library parses it to connect."""
    try:
        parts = parse_url(url)
    except LocationParseError:
        return None
    scheme = (parts.scheme or "").lower()
    if scheme not in DEFAULT_PORTS or not parts.host:
        return None
    return scheme, parts.host.lower().rstrip("."), parts.port or DEFAULT_PORTS[scheme]


def _show(origin: Origin) -> str:
    scheme, host, port = origin
    return f"{scheme}://{host}:{port}"


@dataclass(frozen=True)
class AllowedOrigins:
    """The origins one client may send requests to."""

    app_ref: str
    origins: frozenset[Origin]

    @classmethod
    def declared(cls, spec: AppVersionSpec, base_url: str, context: Mapping[str, Any]) -> AllowedOrigins:
        """The base URL's origin and those of `allowed_hosts`, rendered over `context` (properties and env);
        an entry that renders empty (an unset optional variable) is skipped."""
        origins = {origin_of(base_url)}
        for index, template in enumerate(spec.allowed_hosts):
            try:
                url = render_text(template, context)
            except TemplateError as exc:
                raise ConfigurationError(f"allowed_hosts[{index}] of {spec.ref}: {exc}") from exc
            origin = origin_of(url)
            if url and origin is None:
                raise ConfigurationError(
                    f"allowed_hosts[{index}] of {spec.ref} renders {url!r}, which is not an http(s) URL"
                )
            origins.add(origin)
        return cls(spec.ref, frozenset(origin for origin in origins if origin is not None))

    def check(self, url: str) -> None:
        """Raise ConfigurationError (nothing is sent) when `url` is not on an allowed origin."""
        origin = origin_of(url)
        if origin is None:
            raise ConfigurationError(f"{self.app_ref}: refused to send a request to {url!r}: not an http(s) URL")
        if origin not in self.origins:
            raise ConfigurationError(
                f"{self.app_ref}: refused to send a request to host '{origin[1]}' ({_show(origin)}): "
                f"only {self._listed()} are allowed (base_url and allowed_hosts)"
            )

    def refuse_foreign_redirect(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        """A `requests` response hook: a redirect is followed only to an allowed origin or within its own."""
        location = response.headers.get("location") if response.is_redirect else None
        if not location:
            return response
        origin = origin_of(urljoin(response.url, location))
        if origin is not None and (origin in self.origins or origin == origin_of(response.url)):
            return response
        response.close()
        where = f"host '{origin[1]}' ({_show(origin)})" if origin else repr(location)
        raise PermanentError(
            f"{self.app_ref}: refused to follow a redirect to {where}: only {self._listed()} are allowed",
            method=response.request.method or "",
            url=response.url,
            status=response.status_code,
        )

    def _listed(self) -> str:
        return ", ".join(sorted(_show(origin) for origin in self.origins)) or "no hosts"
