"""Auth whose credentials never change: basic, digest, API key, none."""

from __future__ import annotations

import requests
from requests.auth import HTTPBasicAuth, HTTPDigestAuth

from connectors.runtime.auth.base import AppAuth, AuthContext, TemplatedAuth
from connectors.runtime.redaction import register_basic_credentials


class NoAuth(AppAuth):
    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


class BasicAuth(AppAuth):
    def __init__(self, context: AuthContext) -> None:
        super().__init__(context)
        register_basic_credentials(context.credentials["username"], context.credentials["password"])

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        credentials = self.context.credentials
        return HTTPBasicAuth(credentials["username"], credentials["password"])(request)


class DigestAuth(AppAuth):
    """RFC 7616 digest via requests (MD5, SHA-256, SHA-512 as the server's challenge asks)."""

    def __init__(self, context: AuthContext) -> None:
        super().__init__(context)
        self._digest = HTTPDigestAuth(context.credentials["username"], context.credentials["password"])

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return self._digest(request)


class ApiKeyAuth(TemplatedAuth):
    """Static key(s) in headers or query parameters (`X-Shopify-Access-Token`, `Authorization: Token …`)."""
