"""How Shiprocket authenticates an API call, with its error bodies.

`POST /v1/external/auth/login {"email", "password"}` (the API user's, not the account's main login) answers the user
with a `token`: a JWT valid 10 days (240 hours, `token_ttl`), sent as `Authorization: Bearer <token>` and reused
until it expires. Assumptions, from Shiprocket's Laravel (tymon/jwt-auth) stack: a missing or unknown token answers
401 `{"message": "Unauthenticated.", "status_code": 401}`, an expired one 401 "Token has expired", and a wrong
password 400 "Invalid email and password combination".
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from typing import Any

from connectors.sandbox.shiprocket.settings import ShiprocketConfig
from connectors.sandbox.state import SandboxState
from connectors.sandbox.vendor_api import VendorError

LOGIN_PATH = "/v1/external/auth/login"
API_USER_ID = 4_100_001
COMPANY_ID = 512_345


def shiprocket_error(status: int, message: str, **extra: Any) -> VendorError:
    """Shiprocket's error body: `{"message", "status_code"}`, validation errors under `errors`."""
    return VendorError(status, {"message": message, **extra, "status_code": status})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class ShiprocketAuthenticator:
    """Logs the API user in, issues tokens and checks the bearer token of every API call."""

    def __init__(self, config: ShiprocketConfig, state: SandboxState) -> None:
        self.config, self.state = config, state

    def login(self, body: Any) -> dict[str, Any]:
        body = body if isinstance(body, dict) else {}
        missing = {name: [f"The {name} field is required."] for name in ("email", "password") if not body.get(name)}
        if missing:
            raise shiprocket_error(422, "Oops! Invalid Data.", errors=missing)
        with self.state.lock:
            self.state.shiprocket.login_calls += 1
        email_ok = hmac.compare_digest(str(body["email"]).lower(), self.config.email.lower())
        password_ok = hmac.compare_digest(str(body["password"]), self.config.password)
        if not (email_ok and password_ok):
            raise shiprocket_error(400, "Invalid email and password combination")
        token = self._token()
        return {
            "id": API_USER_ID,
            "first_name": "API",
            "last_name": "User",
            "email": self.config.email,
            "company_id": COMPANY_ID,
            "created_at": "2026-01-05 10:00:00",
            "token": token,
        }

    def _token(self) -> str:
        issued = int(time.time())
        expires = issued + self.config.token_ttl
        header = _b64(json.dumps({"typ": "JWT", "alg": "HS256"}, separators=(",", ":")).encode())
        claims = {"iss": "https://apiv2.shiprocket.in" + LOGIN_PATH, "iat": issued, "exp": expires, "nbf": issued,
                  "jti": secrets.token_hex(8), "sub": API_USER_ID, "cid": COMPANY_ID}  # fmt: skip
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        signature = hmac.new(self.config.signing_key.encode(), f"{header}.{payload}".encode(), hashlib.sha256)
        token = f"{header}.{payload}.{_b64(signature.digest())}"
        with self.state.lock:
            self.state.shiprocket.tokens[token] = float(expires)
        return token

    def expire_tokens(self) -> int:
        """Expire every token issued so far (as if 10 days had passed); how many there were."""
        with self.state.lock:
            tokens = self.state.shiprocket.tokens
            for token in tokens:
                tokens[token] = 0.0
            return len(tokens)

    def authenticate(self, headers: Mapping[str, str]) -> str:
        """The API user calling (their e-mail); raises Shiprocket's 401 otherwise."""
        scheme, _, token = headers.get("authorization", "").partition(" ")
        with self.state.lock:
            expiry = self.state.shiprocket.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if expiry is None:
            raise shiprocket_error(401, "Unauthenticated.")
        if expiry <= time.time():
            raise shiprocket_error(401, "Token has expired")
        return self.config.email
