"""OAuth 1.0a request signing (RFC 5849) with requests-oauthlib: one-legged (WooCommerce over HTTP, signature in
the query string) or with an access token (Magento integrations, Authorization header).

Each request gets a fresh nonce and timestamp, so a retried request is signed anew. Bodies that are not
form-encoded (JSON) are not part of the signature, as the RFC says; form bodies are.
"""

from __future__ import annotations

import requests
from oauthlib.oauth1 import SIGNATURE_TYPE_AUTH_HEADER, SIGNATURE_TYPE_QUERY
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth1

from connectors.runtime.auth.base import AppAuth, AuthContext
from connectors.runtime.redaction import register_basic_credentials
from connectors.spec.auth import OAuth1AuthSpec

_SIGNATURE_TYPES = {"header": SIGNATURE_TYPE_AUTH_HEADER, "query": SIGNATURE_TYPE_QUERY}


class OAuth1Auth(AppAuth):
    """Signs every request; with `https: basic`, requests to an https URL carry HTTP Basic instead."""

    def __init__(self, context: AuthContext) -> None:
        super().__init__(context)
        spec: OAuth1AuthSpec = context.spec  # type: ignore[assignment]
        credentials = context.credentials
        token = spec.flow == "token"
        self._signer = OAuth1(
            str(credentials["consumer_key"]),
            client_secret=str(credentials["consumer_secret"]),
            resource_owner_key=str(credentials["access_token"]) if token else None,
            resource_owner_secret=str(credentials["access_token_secret"]) if token else None,
            signature_method=spec.signature_method,
            signature_type=_SIGNATURE_TYPES[spec.placement],
        )
        self._basic: HTTPBasicAuth | None = None
        if spec.https == "basic":
            self._basic = HTTPBasicAuth(str(credentials["consumer_key"]), str(credentials["consumer_secret"]))
            register_basic_credentials(credentials["consumer_key"], credentials["consumer_secret"])

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if self._basic is not None and (request.url or "").lower().startswith("https://"):
            return self._basic(request)
        return self._signer(request)
