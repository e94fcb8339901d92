"""How WooCommerce authenticates a REST request (`WC_REST_Authentication`), with its error bodies.

Over HTTPS (WordPress `is_ssl()`): HTTP Basic with consumer key and secret, or both in the query string. Over
HTTP: OAuth 1.0a one-legged, HMAC-SHA1 or HMAC-SHA256 only, signature base string `METHOD&enc(url)&enc(params)`
over the query (and form) parameters sorted by name, key `consumer_secret&`, timestamps within 15 minutes,
nonces used once. A request that carries no credentials at all is not an authentication error: the route's
permission check answers instead (`woocommerce_rest_cannot_view`, 401).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Mapping
from urllib.parse import quote, unquote

from connectors.sandbox.config import WooCommerceConfig
from connectors.sandbox.state import SandboxState
from connectors.sandbox.vendor_api import VendorError

OAUTH_PARAMS = ("oauth_consumer_key", "oauth_timestamp", "oauth_nonce", "oauth_signature", "oauth_signature_method")


def wc_error(code: str, message: str, status: int, **data: object) -> VendorError:
    """WordPress REST errors: `{"code", "message", "data": {"status"}}`."""
    return VendorError(status, {"code": code, "message": message, "data": {"status": status, **data}})


def _auth_error(message: str, code: str = "woocommerce_rest_authentication_error") -> VendorError:
    return wc_error(code, message, 401)


def _rawurlencode(text: str) -> str:
    """PHP `rawurlencode`: RFC 3986, everything but unreserved characters."""
    return quote(text, safe="-._~")


def oauth_signature(method: str, url: str, params: Mapping[str, str], secret: str, algorithm: str) -> str:
    """The signature WooCommerce computes: params sorted by name (strcmp), each `enc(enc(k)=enc(v))`, joined by
    `%26`; the key is the consumer secret and `&`."""
    pairs = [_rawurlencode(f"{_rawurlencode(k)}={_rawurlencode(v)}") for k, v in sorted(params.items())]
    base = f"{method.upper()}&{_rawurlencode(url)}&{'%26'.join(pairs)}"
    digest = hmac.new(f"{secret}&".encode(), base.encode(), getattr(hashlib, algorithm)).digest()
    return base64.b64encode(digest).decode()


def _parse_header(header: str) -> dict[str, str]:
    params = {}
    for part in header.removeprefix("OAuth ").split(","):
        name, _, value = part.strip().partition("=")
        if name.startswith("oauth_"):
            params[name] = unquote(value.strip('"'))
    return params


class WooCommerceAuthenticator:
    """Decides whether a request is authenticated: True, False (no credentials) or a `VendorError`."""

    def __init__(self, config: WooCommerceConfig, state: SandboxState) -> None:
        self.config, self.state = config, state

    def authenticate(
        self,
        method: str,
        url: str,
        params: Mapping[str, str],
        headers: Mapping[str, str],
        basic: tuple[str, str] | None,
    ) -> bool:
        is_ssl = self.config.https or headers.get("x-forwarded-proto", "").lower() == "https"
        if is_ssl:
            key, secret = basic or (params.get("consumer_key"), params.get("consumer_secret"))
            if key and secret:
                self._check_consumer(key)
                if not hmac.compare_digest(str(secret), self.config.consumer_secret):
                    raise _auth_error("Consumer secret is invalid.")
                return True
        return self._oauth(method, url, params, headers)

    def _check_consumer(self, key: str) -> None:
        if not hmac.compare_digest(key, self.config.consumer_key):
            raise _auth_error("Consumer key is invalid.")

    def _oauth(self, method: str, url: str, params: Mapping[str, str], headers: Mapping[str, str]) -> bool:
        signed = dict(params)
        authorization = headers.get("authorization", "")
        if authorization.startswith("OAuth "):
            signed.update(_parse_header(authorization))
        missing = [name for name in OAUTH_PARAMS if not signed.get(name)]
        if len(missing) == len(OAUTH_PARAMS):
            return False
        if missing:
            raise _auth_error(
                f"Missing OAuth parameter {', '.join(missing)}", "woocommerce_rest_authentication_missing_parameter"
            )
        self._check_consumer(signed["oauth_consumer_key"])
        given = unquote(signed.pop("oauth_signature").replace(" ", "+"))
        method_name = signed["oauth_signature_method"]
        if method_name not in ("HMAC-SHA1", "HMAC-SHA256"):
            raise _auth_error("Invalid signature - signature method is invalid.")
        expected = oauth_signature(method, url, signed, self.config.consumer_secret, method_name[5:].lower())
        if not hmac.compare_digest(expected, given):
            raise _auth_error("Invalid signature - provided signature does not match.")
        self._check_timestamp_and_nonce(signed["oauth_timestamp"], signed["oauth_nonce"])
        return True

    def _check_timestamp_and_nonce(self, timestamp: str, nonce: str) -> None:
        moment, window = time.time(), self.config.timestamp_window
        if not timestamp.isdigit() or abs(int(timestamp) - moment) > window:
            raise _auth_error("Invalid timestamp.")
        with self.state.lock:
            nonces = self.state.woocommerce.nonces
            for old in [n for n, at in nonces.items() if at < moment - window]:
                del nonces[old]
            if nonce in nonces:
                raise _auth_error("Invalid nonce - nonce has already been used.")
            nonces[nonce] = int(timestamp)
