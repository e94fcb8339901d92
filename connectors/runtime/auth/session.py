"""Session auth: a declared login request whose token or cookie is reused until it expires.

Covers Shiprocket (`POST /v1/external/auth/login` -> JWT), SAP Business One (`POST /Login` -> `B1SESSION`
cookie) and Magento admin tokens (the body is the token itself: `from: json, path: $`).
"""

from __future__ import annotations

from typing import Any

import requests

from connectors.runtime.auth.renewing import (
    RenewingAuth,
    lifetime_from,
    raise_for_token_response,
)
from connectors.runtime.auth.token_store import TokenSet
from connectors.runtime.errors import AuthExpiredError
from connectors.runtime.http.request import render_request
from connectors.runtime.paths import dig
from connectors.runtime.redaction import register_secret
from connectors.spec.auth import SessionAuthSpec, TokenSourceSpec


def read_source(response: requests.Response, source: TokenSourceSpec) -> Any:
    if source.from_ == "header":
        return response.headers.get(source.path)
    if source.from_ == "cookie":
        return response.cookies.get(source.path)
    try:
        body = response.json()
    except ValueError:
        return None
    return dig(body, source.path)


class SessionAuth(RenewingAuth):
    @property
    def spec(self) -> SessionAuthSpec:
        return self.context.spec  # type: ignore[return-value]

    def obtain(self, previous: TokenSet | None) -> TokenSet:
        login = render_request(self.spec.login, self.template_context(with_obtained=False), self.context.base_url)
        response = self.outbound_send()(login.method, login.url, **login.as_kwargs())
        register_secret(*(cookie.value for cookie in response.cookies))  # the session replays them on every call
        raise_for_token_response(response, "login", login.method, login.url)
        token = read_source(response, self.spec.token)
        if not token:
            raise AuthExpiredError(
                f"login answered but no token at {self.spec.token.from_} '{self.spec.token.path}'",
                method=login.method,
                url=login.url,
                status=response.status_code,
            )
        lifetime = read_source(response, self.spec.expires_in) if self.spec.expires_in else None
        return TokenSet(access_token=str(token), **lifetime_from(lifetime, self.spec.lifetime))

    def signals_expiry(self, response: requests.Response) -> bool:
        expiry = self.spec.expiry
        if response.status_code not in expiry.statuses:
            return False
        return expiry.body_contains is None or expiry.body_contains in response.text
