"""The Shiprocket sandbox's config section (`SandboxConfig.shiprocket`, `SANDBOX_SHIPROCKET_<FIELD>`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ShiprocketConfig(BaseModel):
    """Shiprocket's API user, its token lifetime (10 days), the account's pickup locations and webhook, and the
    request-rate limit (Shiprocket publishes no numbers: off until `api_requests_per_second` is set)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    email: str = "api-user@sandbox.shiprocket.invalid"
    password: str = "sandbox-shiprocket-password"
    token_ttl: int = Field(default=864_000, description="Lifetime of a login token, seconds (Shiprocket: 240 h).")
    signing_key: str = "sandbox-shiprocket-signing-key"
    pickup_locations: list[str] = Field(default_factory=lambda: ["Primary"], description="Pickup nicknames.")
    courier_id: int = 10
    courier_name: str = "Delhivery Surface"
    api_requests_per_second: float | None = Field(
        default=None, description="API calls per second per API user; unpublished by Shiprocket, so off (None)."
    )
    api_burst: int = Field(default=10, description="Calls a user may make at once when the limit is on.")
    webhook_url: str | None = Field(default=None, description="Where status pushes go (Settings > API > Webhooks).")
    webhook_token: str | None = Field(default=None, description="Security token sent as x-api-key; none = unsigned.")
    webhook_url_rule: bool = Field(
        default=True,
        description="Refuse webhook URLs containing shiprocket or kartrocket, or an sr/kr host label or path segment.",
    )
    webhook_retries: int = Field(default=0, description="Undocumented by Shiprocket; none by default.")
    webhook_backoff: float = 0.2
