"""How Magento authenticates a REST call, with its error bodies.

- Admin token: `POST /V1/integration/admin/token {"username", "password"}` answers the token as a JSON string; it
  lives `admin_token_ttl` seconds (Magento: 4 hours, "Admin Token Lifetime (hours)") and is sent as
  `Authorization: Bearer <token>`.
- Integration: OAuth 1.0a with the integration's consumer key and secret and its access token and token secret,
  `Authorization: OAuth ...`, HMAC-SHA1 or HMAC-SHA256, checked here with oauthlib (RFC 5849). The access token
  alone as a Bearer token is refused unless `bearer_integration_tokens` is on (off by default since 2.4.4).

A refused call answers 401 `{"message": "The consumer isn't authorized to access %resources.", "parameters":
{"resources": "<ACL resource>"}}`, which is what Magento answers for a missing, unknown or expired token.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Mapping
from typing import Any

from oauthlib.common import Request as OAuthRequest
from oauthlib.oauth1.rfc5849 import signature

from connectors.sandbox.config import MagentoConfig
from connectors.sandbox.state import SandboxState
from connectors.sandbox.vendor_api import VendorError

SIGN_IN_FAILED = (
    "The account sign-in was incorrect or your account is disabled temporarily. Please wait and try again later."
)
_VERIFIERS = {"HMAC-SHA1": signature.verify_hmac_sha1, "HMAC-SHA256": signature.verify_hmac_sha256}


def magento_error(status: int, message: str, **parameters: Any) -> VendorError:
    """Magento's web API errors: `{"message"}`, with `parameters` filling its `%name` placeholders."""
    body: dict[str, Any] = {"message": message}
    if parameters:
        body["parameters"] = parameters
    return VendorError(status, body)


def not_authorized(resource: str) -> VendorError:
    return magento_error(401, "The consumer isn't authorized to access %resources.", resources=resource)


def required_fields_error(missing: list[str]) -> VendorError:
    """`InputException`: one missing field is the message itself; several are listed under `errors`."""
    errors = [
        {"message": '"%fieldName" is required. Enter and try again.', "parameters": {"fieldName": name}}
        for name in missing
    ]
    if len(errors) == 1:
        return VendorError(400, errors[0])
    return VendorError(400, {"message": "One or more input exceptions have occurred.", "errors": errors})


def _oauth_params(header: str) -> dict[str, str]:
    return dict(signature.collect_parameters(headers={"Authorization": header}, exclude_oauth_signature=False))


class MagentoAuthenticator:
    """Issues admin tokens and decides whether a call is authenticated (raises the 401 otherwise)."""

    def __init__(self, config: MagentoConfig, state: SandboxState) -> None:
        self.config, self.state = config, state

    def issue_admin_token(self, body: Any) -> str:
        body = body if isinstance(body, dict) else {}
        missing = [name for name in ("username", "password") if not body.get(name)]
        if missing:
            raise required_fields_error(missing)
        with self.state.lock:
            self.state.magento.token_requests += 1
        username_ok = hmac.compare_digest(str(body["username"]), self.config.admin_username)
        password_ok = hmac.compare_digest(str(body["password"]), self.config.admin_password)
        if not (username_ok and password_ok):
            raise magento_error(401, SIGN_IN_FAILED)
        token = secrets.token_hex(16)  # Magento's tokens are 32 characters
        with self.state.lock:
            self.state.magento.admin_tokens[token] = time.time() + self.config.admin_token_ttl
        return token

    def expire_admin_tokens(self) -> int:
        """Expire every admin token issued so far (as if 4 hours had passed); how many there were."""
        with self.state.lock:
            tokens = self.state.magento.admin_tokens
            for token in tokens:
                tokens[token] = 0.0
            return len(tokens)

    def authenticate(self, method: str, url: str, headers: Mapping[str, str], body: bytes, resource: str) -> str:
        """Who is calling (`admin` or `integration`); raises the 401 Magento answers otherwise."""
        scheme, _, credentials = headers.get("authorization", "").partition(" ")
        caller = self._bearer_caller(credentials.strip()) if scheme.lower() == "bearer" else None
        if caller:
            return caller
        if scheme == "OAuth" and self._valid_oauth(method, url, headers, body):
            return "integration"
        raise not_authorized(resource)

    def _bearer_caller(self, token: str) -> str | None:
        with self.state.lock:
            expiry = self.state.magento.admin_tokens.get(token)
        if expiry is not None:
            return "admin" if expiry > time.time() else None
        integration = self.config.bearer_integration_tokens and hmac.compare_digest(token, self.config.access_token)
        return "integration" if integration else None

    def _valid_oauth(self, method: str, url: str, headers: Mapping[str, str], body: bytes) -> bool:
        """A signed request from the integration; a wrong signature, timestamp or nonce raises Magento's 401."""
        try:
            oauth = _oauth_params(headers["authorization"])
        except (ValueError, KeyError):
            return False
        verify = _VERIFIERS.get(oauth.get("oauth_signature_method", ""))
        if verify is None or oauth.get("oauth_version", "1.0") != "1.0":
            raise magento_error(401, "The signature method is invalid. Verify and try again.")
        if not (
            hmac.compare_digest(oauth.get("oauth_consumer_key", ""), self.config.consumer_key)
            and hmac.compare_digest(oauth.get("oauth_token", ""), self.config.access_token)
        ):
            return False
        form = body if headers.get("content-type", "").startswith("application/x-www-form-urlencoded") else None
        request = OAuthRequest(url, method, form, dict(headers))
        request.params = signature.collect_parameters(
            uri_query=url.partition("?")[2], body=form, headers={"Authorization": headers["authorization"]}
        )
        request.signature = oauth.get("oauth_signature", "")
        if not verify(request, self.config.consumer_secret, self.config.access_token_secret):
            raise magento_error(401, "The signature is invalid. Verify and try again.")
        self._check_timestamp_and_nonce(oauth.get("oauth_timestamp", ""), oauth.get("oauth_nonce", ""))
        return True

    def _check_timestamp_and_nonce(self, timestamp: str, nonce: str) -> None:
        moment, window = time.time(), self.config.timestamp_window
        if not timestamp.isdigit() or abs(int(timestamp) - moment) > window or not nonce:
            raise magento_error(401, "The timestamp is invalid. Verify and try again.")
        with self.state.lock:
            nonces = self.state.magento.nonces
            for old in [n for n, at in nonces.items() if at < moment - window]:
                del nonces[old]
            if nonce in nonces:
                raise magento_error(401, "The nonce is already being used by the consumer with ID %1.", **{"1": "1"})
            nonces[nonce] = int(timestamp)
