"""The Ginesys sandbox's config section (`SandboxConfig.ginesys`, `SANDBOX_GINESYS_<FIELD>`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class GinesysConfig(BaseModel):
    """The API user (`username` and its `auth_string`) and the request-rate limit (Browntape's numbers are not in
    what we read: off until `requests_per_second` is set)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    username: str = "api-user@sandbox.browntape.invalid"
    auth_string: str = "sandbox-browntape-auth-string"
    company_id: str = "7240"
    requests_per_second: float | None = Field(default=None, description="Calls per second per API user; off (None).")
    burst: int = Field(default=10, description="Calls a user may make at once when the limit is on.")
    max_orders_per_call: int = Field(default=10, description="orders/add.json: at most 10 orders a call (documented).")
