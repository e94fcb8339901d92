"""Session auth: a declared login request whose token or cookie is reused until it expires.

Covers Shiprocket (`POST /v1/external/auth/login` -> JWT), SAP Business One (`POST /Login` -> `B1SESSION`
cookie), Magento admin tokens (the body is the token itself: `from: json, path: $`) and Paytm Mall's two-step
login (`exchange`: an authorization code from the login traded for the access token).
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
from connectors.spec.base import RequestSpec


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
        context = self.template_context(with_obtained=False)
        response, token = self._step("login", self.spec.login, self.spec.token, context)
        if self.spec.exchange is not None:  # two-step login: the first answer (a code) traded for the token
            register_secret(str(token))
            context = {**context, "auth": {**context["auth"], "token": str(token)}}
            exchange = self.spec.exchange
            response, token = self._step("login exchange", exchange.request, exchange.token, context)
        lifetime = read_source(response, self.spec.expires_in) if self.spec.expires_in else None
        return TokenSet(access_token=str(token), **lifetime_from(lifetime, self.spec.lifetime))

    def _step(
        self, what: str, spec: RequestSpec, source: TokenSourceSpec, context: dict[str, Any]
    ) -> tuple[requests.Response, Any]:
        request = render_request(spec, context, self.context.base_url)
        response = self.outbound_send()(request.method, request.url, **request.as_kwargs())
        register_secret(*(cookie.value for cookie in response.cookies))  # the session replays them on every call
        raise_for_token_response(response, what, request.method, request.url)
        token = read_source(response, source)
        if not token:
            raise AuthExpiredError(
                f"{what} answered but no token at {source.from_} '{source.path}'",
                method=request.method,
                url=request.url,
                status=response.status_code,
            )
        return response, token

    def signals_expiry(self, response: requests.Response) -> bool:
        return self.spec.expiry.matches(response.status_code, response.text)
