"""OAuth 2.0: client_credentials, refresh_token (Eshopbox `generateToken`, Amazon LWA) and authorization_code.

Tokens are refreshed `refresh_margin` seconds before they expire, and once more on a 401. A rotated refresh token
is saved to the token store before the new access token is used, so a crash cannot lose it.
"""

from __future__ import annotations

import secrets as random
from typing import Any
from urllib.parse import parse_qsl, urlencode

import requests
from requests.auth import HTTPBasicAuth

from connectors.runtime.auth.base import AuthContext
from connectors.runtime.auth.renewing import (
    RenewingAuth,
    lifetime_from,
    raise_for_token_response,
)
from connectors.runtime.auth.token_store import TokenSet
from connectors.runtime.errors import AuthExpiredError
from connectors.runtime.redaction import register_basic_credentials, register_secret
from connectors.runtime.templating import render_text
from connectors.spec.auth import OAuth2AuthSpec


class OAuth2Auth(RenewingAuth):
    def __init__(self, context: AuthContext) -> None:
        super().__init__(context)
        self.margin = float(self.spec.refresh_margin)
        if self.spec.client_auth == "basic":  # client_secret_basic: the token call carries base64(id:secret)
            register_basic_credentials(context.credentials["client_id"], context.credentials["client_secret"])

    @property
    def spec(self) -> OAuth2AuthSpec:
        return self.context.spec  # type: ignore[return-value]

    def _url(self, template: str) -> str:
        return render_text(template, self.template_context(with_obtained=False))

    def authorization_url(self, redirect_uri: str, state: str | None = None) -> tuple[str, str]:
        """The URL a user opens to grant access, and the `state` to check on the callback."""
        if not self.spec.authorize_url:
            raise AuthExpiredError(f"{self.context.app_ref} has no authorize_url")
        state = state or random.token_urlsafe(24)
        query = {
            "response_type": "code",
            "client_id": self.context.credentials["client_id"],
            "redirect_uri": redirect_uri,
            "state": state,
        }
        if self.spec.scopes:
            query["scope"] = " ".join(self.spec.scopes)
        base = self._url(self.spec.authorize_url)
        return f"{base}{'&' if '?' in base else '?'}{urlencode(query)}", state

    def exchange_code(self, code: str, redirect_uri: str) -> TokenSet:
        """Exchange an authorization code for tokens and store them for this connection."""
        register_secret(code)
        tokens = self._token_request({"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri})
        store, key = self.context.token_store, self.context.token_key
        with store.lock(key):
            store.save(key, tokens)
        self._tokens = tokens
        return tokens

    def obtain(self, previous: TokenSet | None) -> TokenSet:
        if self.spec.grant_type == "client_credentials":
            fields = {"grant_type": "client_credentials"}
            if self.spec.scopes:
                fields["scope"] = " ".join(self.spec.scopes)
            return self._token_request(fields)
        refresh_token = (previous.refresh_token if previous else None) or self.context.credentials.get("refresh_token")
        if not refresh_token:
            raise AuthExpiredError(
                f"connection '{self.context.connection_id}' has no refresh token: authorize it first"
            )
        return self._token_request({"grant_type": "refresh_token", "refresh_token": refresh_token})

    def _token_request(self, fields: dict[str, str]) -> TokenSet:
        credentials = self.context.credentials
        kwargs: dict[str, Any] = {"headers": {"Accept": "application/json"}}
        if self.spec.client_auth == "basic":
            kwargs["auth"] = HTTPBasicAuth(credentials["client_id"], credentials["client_secret"])
        else:
            fields = {**fields, "client_id": credentials["client_id"], "client_secret": credentials["client_secret"]}
        method = self.spec.token_method
        where = "params" if method == "GET" else "json" if self.spec.token_request_format == "json" else "data"
        kwargs[where] = fields
        url = self._url(self.spec.token_url)
        response = self.outbound_send()(method, url, **kwargs)
        raise_for_token_response(response, f"token request ({fields['grant_type']})", method, url)
        payload = _token_payload(response)
        access_token = payload.get("access_token")
        if not access_token:
            raise AuthExpiredError(
                "token response has no access_token", method=method, url=url, status=response.status_code
            )
        refresh_token = payload.get("refresh_token") or fields.get("refresh_token")
        register_secret(access_token, refresh_token, payload.get("id_token"))
        return TokenSet(
            access_token=str(access_token),
            **lifetime_from(payload.get("expires_in"), self.spec.default_lifetime),
            refresh_token=refresh_token,
            extra={"token_type": payload.get("token_type"), "scope": payload.get("scope")},
        )

    def signals_expiry(self, response: requests.Response) -> bool:
        return self.spec.expiry.matches(response.status_code, response.text)


def _token_payload(response: requests.Response) -> dict[str, Any]:
    """Token responses are JSON; a few providers still answer form-encoded."""
    try:
        payload = response.json()
    except ValueError:
        payload = dict(parse_qsl(response.text))
    return payload if isinstance(payload, dict) else {}
