"""Service Layer sessions: `POST /Login` answers the session id and sets the `B1SESSION` and `ROUTEID` cookies;
every call with a live `B1SESSION` cookie extends the session (the timeout counts idle time, 30 minutes by
default); an unknown, logged-out or idle session is refused with 401 and code 301. `POST /Logout` ends it.

The sessions' clock is the wall clock plus `clock_offset`, which the control API advances so that tests can let a
session go idle without waiting.
"""

from __future__ import annotations

import hmac
import time
import uuid
from typing import Any

from connectors.sandbox.sap_business_one.errors import LOGIN_FAILED, b1_error, invalid_session
from connectors.sandbox.sap_business_one.settings import SapBusinessOneConfig
from connectors.sandbox.state import SandboxState

COOKIE = "B1SESSION"
ROUTE_COOKIE = "ROUTEID"


class SessionKeeper:
    def __init__(self, config: SapBusinessOneConfig, state: SandboxState) -> None:
        self.config, self.state = config, state

    def clock(self) -> float:
        return time.time() + self.state.sap_business_one.clock_offset

    def login(self, body: Any) -> dict[str, Any]:
        """The Login answer; raises the 401 for wrong credentials or an unknown company database."""
        body = body if isinstance(body, dict) else {}
        given = [str(body.get(name) or "") for name in ("CompanyDB", "UserName", "Password")]
        wanted = [self.config.company_db, self.config.username, self.config.password]
        matches = [hmac.compare_digest(a.encode(), b.encode()) for a, b in zip(given, wanted, strict=True)]
        data = self.state.sap_business_one
        with self.state.lock:
            if not all(matches):
                data.failed_logins += 1
                raise b1_error(401, *LOGIN_FAILED)
            session_id = str(uuid.uuid4())
            data.sessions[session_id] = self.clock()
            data.logins += 1
        return {
            "odata.metadata": "$metadata#B1Sessions/@Element",
            "SessionId": session_id,
            "Version": self.config.version,
            "SessionTimeout": self.config.session_timeout,
        }

    def logout(self, session_id: str | None) -> None:
        with self.state.lock:
            self.touch(session_id)
            del self.state.sap_business_one.sessions[str(session_id)]
            self.state.sap_business_one.logouts += 1

    def touch(self, session_id: str | None, route_id: str | None = None) -> None:
        """Admit a call of this session and extend it; raises the 401 for a dead session (call with the lock)."""
        data, moment = self.state.sap_business_one, self.clock()
        last = data.sessions.get(session_id or "")
        if last is None or moment - last > self.config.idle_limit:
            data.sessions.pop(session_id or "", None)
            raise invalid_session()
        data.sessions[str(session_id)] = moment
        key = route_id or "(none)"
        data.route_ids[key] = data.route_ids.get(key, 0) + 1

    def advance(self, seconds: float) -> float:
        """Move the sessions' clock forward, as if `seconds` had passed without a call."""
        with self.state.lock:
            self.state.sap_business_one.clock_offset += seconds
            return self.state.sap_business_one.clock_offset

    def expire_all(self) -> int:
        """End every session (a Service Layer restart); how many there were."""
        with self.state.lock:
            count = len(self.state.sap_business_one.sessions)
            self.state.sap_business_one.sessions.clear()
            return count
