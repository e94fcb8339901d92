"""The SAP S/4HANA section of the sandbox config (`SANDBOX_SAP_S4HANA_<FIELD>`). Kept here, with a base of its own,
so that `connectors.sandbox.config` can import it without importing the simulator."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SapS4hanaConfig(BaseModel):
    """The communication user (HTTP Basic) or OAuth 2.0 client (client credentials), the system id and client that
    name the session cookie, how long a session (and so its CSRF token) lives, the server-driven page size, and an
    optional request-rate limit."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    username: str = "COMM_USER_ESB"
    password: str = "sandbox-s4hana-password-1"
    system_id: str = Field(default="S4H", description="SID in the session cookie's name SAP_SESSIONID_<SID>_<client>.")
    client: str = Field(default="100", description="The SAP client (sap-client) the user logs on to.")
    session_ttl: float = Field(
        default=1800.0,
        description="Idle seconds before a session and its CSRF token expire (assumption: the ICM's 30 minutes); "
        "a write after that is answered 403 with x-csrf-token: Required.",
    )
    oauth_client_id: str = Field(default="COMM_USER_ESB_OAUTH", description="OAuth 2.0 client (a communication user).")
    oauth_client_secret: str = "sandbox-s4hana-oauth-secret-1"
    token_ttl: int = Field(default=3600, description="expires_in of OAuth access tokens (assumption: ABAP's 3600 s).")
    page_size: int = Field(default=1000, ge=1, description="Entities per page before __next (assumption: 1000).")
    requests_per_second: float | None = Field(
        default=None, description="Calls per second per user; S/4HANA documents none, so off (None)."
    )
    burst: int = Field(default=10, description="Calls a user may make at once when the limit is on.")
    seed_demo_data: bool = True
