"""Auth with a token that expires: cached, shared through the token store, renewed once by one caller."""

from __future__ import annotations

import logging
import time
from typing import Any

import requests

from connectors.runtime.auth.base import AuthContext, TemplatedAuth
from connectors.runtime.auth.token_store import TokenSet
from connectors.runtime.errors import AuthExpiredError, RetryableError, excerpt_of
from connectors.runtime.redaction import register_secret

log = logging.getLogger(__name__)


class RenewingAuth(TemplatedAuth):
    """Subclasses say how to `obtain` a token; this class decides when, and makes sure only one caller does."""

    margin: float = 0.0

    def __init__(self, context: AuthContext) -> None:
        super().__init__(context)
        self._tokens: TokenSet | None = None

    def obtain(self, previous: TokenSet | None) -> TokenSet:
        """Log in or fetch a token. `previous` is the last known token set (its refresh token, say)."""
        raise NotImplementedError

    def current(self) -> TokenSet:
        tokens = self._tokens or self.context.token_store.load(self.context.token_key)
        if tokens is None or not tokens.is_fresh(self.margin):
            tokens = self._renew_from(tokens)
        self._tokens = tokens
        register_secret(tokens.access_token, tokens.refresh_token)
        return tokens

    def renew(self) -> None:
        self._tokens = self._renew_from(self._tokens)

    def _renew_from(self, stale: TokenSet | None) -> TokenSet:
        """Single flight: under the store's lock, reuse a token another caller just obtained, else obtain one."""
        store, key = self.context.token_store, self.context.token_key
        with store.lock(key):
            stored = store.load(key)
            replaced = stored is not None and (stale is None or stored.access_token != stale.access_token)
            if stored is not None and replaced and stored.is_fresh(self.margin):
                return stored
            tokens = self.obtain(stored or stale)
            register_secret(tokens.access_token, tokens.refresh_token)
            if tokens.effective_margin(self.margin) < self.margin:
                log.warning(
                    "%s: the refresh margin (%.0f s) is not below the token's lifetime (%.0f s); renewing at half "
                    "the lifetime instead", self.context.app_ref, self.margin,
                    (tokens.expires_at or 0) - (tokens.obtained_at or 0),
                )  # fmt: skip
            store.save(key, tokens)
            return tokens

    def obtained(self) -> dict[str, Any]:
        name = self.context.spec.obtained_names()[0]
        return {name: self.current().access_token}

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        self.current()
        return super().__call__(request)


def lifetime_from(seconds: Any, default: float | None) -> dict[str, float | None]:
    """`expires_at` and `obtained_at` of a token from its lifetime in seconds (as the response gave it) or the
    default: keyword arguments of `TokenSet`."""
    now = time.time()
    expires_at = expiry_from(seconds, default, now)
    return {"expires_at": expires_at, "obtained_at": now if expires_at is not None else None}


def expiry_from(seconds: Any, default: float | None, now: float | None = None) -> float | None:
    """An absolute expiry time from a lifetime in seconds (as the response gave it) or the default."""
    try:
        lifetime = float(seconds) if seconds not in (None, "") else default
    except (TypeError, ValueError):
        lifetime = default
    return None if lifetime is None else (time.time() if now is None else now) + lifetime


def raise_for_token_response(response: requests.Response, what: str, method: str, url: str) -> None:
    """Classify a failed login or token call: server trouble is retryable, a refusal needs reconnecting."""
    if response.ok:
        return
    kwargs = {"method": method, "url": url, "status": response.status_code, "excerpt": excerpt_of(response)}
    if response.status_code >= 500 or response.status_code == 429:
        raise RetryableError(f"{what} failed", **kwargs)
    raise AuthExpiredError(f"{what} refused; the connection needs new credentials", **kwargs)
