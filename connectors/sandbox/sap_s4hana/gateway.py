"""Logon and CSRF protection in front of the OData services, as SAP Gateway does it.

- Logon: HTTP Basic as the communication user, an OAuth 2.0 Bearer token (`oauth.py`), or the session cookie
  `SAP_SESSIONID_<SID>_<client>` of an earlier logon. Wrong credentials are the ICF's 401 (an HTML page), even with a
  cookie.
- Sessions: an authenticated request without a live session gets a new one (`Set-Cookie` of the session id and
  `sap-usercontext=sap-client=<client>`); each request of a live session keeps it alive for `session_ttl` seconds.
- CSRF: a GET with `x-csrf-token: Fetch` answers the session's token in the `x-csrf-token` header (the same token
  for as long as the session lives). A modifying request (POST, PUT, PATCH, MERGE, DELETE) must carry that token
  and the cookie of the session it belongs to; otherwise it is refused with 403, `x-csrf-token: Required` and
  "CSRF token validation failed", before anything is done. A session that expired takes its token with it.
"""

from __future__ import annotations

import base64
import hmac
import secrets
import time
from dataclasses import dataclass

from fastapi import Request
from starlette.responses import Response

from connectors.sandbox.sap_s4hana.data import Session
from connectors.sandbox.sap_s4hana.settings import SapS4hanaConfig
from connectors.sandbox.state import SandboxState

MODIFYING = {"POST", "PUT", "PATCH", "MERGE", "DELETE"}


@dataclass
class Admission:
    """What the gateway decided for one request: the user's session, whether it was created now, the answer when
    the request is refused, and the token to answer when it asked for one."""

    session_id: str = ""
    created: bool = False
    refusal: str | None = None  # "logon" | "csrf"
    fetched_token: str | None = None


def _basic_user(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return user, password


def new_csrf_token() -> str:
    return base64.b64encode(secrets.token_bytes(16)).decode()


class Gateway:
    def __init__(self, config: SapS4hanaConfig, state: SandboxState) -> None:
        self.config, self.state = config, state
        self.cookie = f"SAP_SESSIONID_{config.system_id}_{config.client}"

    def _valid_credentials(self, header: str) -> bool:
        scheme, _, bearer = header.partition(" ")
        if scheme.lower() == "bearer":
            expiry = self.state.sap_s4hana.access_tokens.get(bearer.strip())
            return expiry is not None and expiry > time.time()
        credentials = _basic_user(header)
        if credentials is None:
            return False
        user_ok = hmac.compare_digest(credentials[0].upper(), self.config.username.upper())  # SAP users: any case
        return user_ok and hmac.compare_digest(credentials[1], self.config.password)

    def _live_session(self, session_id: str, moment: float) -> Session | None:
        session = self.state.sap_s4hana.sessions.get(session_id) if session_id else None
        return session if session is not None and session.expires_at > moment else None

    def admit(self, request: Request) -> Admission:
        """Authenticate the request, find or open its session, check or hand out the CSRF token."""
        authorization = request.headers.get("authorization")
        moment = time.time()
        with self.state.lock:
            data = self.state.sap_s4hana
            session_id = request.cookies.get(self.cookie, "")
            session = self._live_session(session_id, moment)
            if authorization is not None and not self._valid_credentials(authorization):
                return Admission(refusal="logon")
            if authorization is None and session is None:
                return Admission(refusal="logon")
            created = session is None
            if session is None:
                session_id = secrets.token_urlsafe(32)
                session = data.sessions[session_id] = Session(self.config.username, new_csrf_token(), 0.0)
            session.expires_at = moment + self.config.session_ttl
            admission = Admission(session_id=session_id, created=created)
            if request.method in MODIFYING:
                sent = request.headers.get("x-csrf-token", "")
                if created or not hmac.compare_digest(sent, session.csrf_token):
                    data.csrf_refusals += 1
                    admission.refusal = "csrf"
            elif request.headers.get("x-csrf-token", "").lower() == "fetch":
                data.csrf_fetches += 1
                admission.fetched_token = session.csrf_token
            return admission

    def finish(self, response: Response, admission: Admission) -> Response:
        """The session's cookies on a new session's answer, the token on a fetch's."""
        if admission.created:
            # written by hand: Starlette would quote `sap-client=100`, SAP does not
            response.headers.append("set-cookie", f"{self.cookie}={admission.session_id}; path=/; HttpOnly")
            response.headers.append("set-cookie", f"sap-usercontext=sap-client={self.config.client}; path=/")
        if admission.fetched_token is not None:
            response.headers["x-csrf-token"] = admission.fetched_token
        return response

    def expire_access_tokens(self) -> int:
        """Every OAuth access token issued so far expires now."""
        with self.state.lock:
            tokens = self.state.sap_s4hana.access_tokens
            for token in tokens:
                tokens[token] = 0.0
            return len(tokens)

    def expire_sessions(self) -> int:
        """Every session ends now (as after the idle timeout): their tokens are refused from now on."""
        with self.state.lock:
            sessions = self.state.sap_s4hana.sessions
            for session in sessions.values():
                session.expires_at = 0.0
            return len(sessions)
