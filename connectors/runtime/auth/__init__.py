"""Auth mechanisms, one small `requests` auth class each; `build_auth` is the one place that picks the class."""

from __future__ import annotations

from connectors.runtime.auth.base import AppAuth, AuthContext
from connectors.runtime.auth.oauth1 import OAuth1Auth
from connectors.runtime.auth.oauth2 import OAuth2Auth
from connectors.runtime.auth.pre_request import PreRequestAuth
from connectors.runtime.auth.session import SessionAuth
from connectors.runtime.auth.static import ApiKeyAuth, BasicAuth, DigestAuth, NoAuth
from connectors.runtime.auth.token_store import (
    FileTokenStore,
    MemoryTokenStore,
    TokenSet,
    TokenStore,
)

AUTH_CLASSES: dict[str, type[AppAuth]] = {
    "none": NoAuth,
    "basic": BasicAuth,
    "digest": DigestAuth,
    "api_key": ApiKeyAuth,
    "session": SessionAuth,
    "oauth2": OAuth2Auth,
    "oauth1": OAuth1Auth,
}


def build_auth(context: AuthContext) -> AppAuth:
    """The auth object for a connection, chosen by the spec's `type`; wrapped when it declares a `pre_request`."""
    auth = AUTH_CLASSES[context.spec.type](context)  # type: ignore[attr-defined]
    pre_request = context.spec.pre_request
    return auth if pre_request is None else PreRequestAuth(auth, pre_request)


__all__ = [
    "AppAuth",
    "AuthContext",
    "FileTokenStore",
    "MemoryTokenStore",
    "OAuth1Auth",
    "OAuth2Auth",
    "SessionAuth",
    "TokenSet",
    "TokenStore",
    "build_auth",
]
