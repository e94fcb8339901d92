"""The ClickPost sandbox's config section (`SandboxConfig.clickpost`, `SANDBOX_CLICKPOST_<FIELD>`)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class ClickPostConfig(BaseModel):
    """The enterprise's username and license key, the courier partners of its account, its webhook, and the
    request-rate limit (ClickPost publishes none: off until `api_requests_per_second` is set)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    username: str = "sandbox-enterprise"
    key: str = "0b7e2c4a-5d1f-4e8b-9a36-c1d2e3f40506"
    couriers: dict[int, str] = Field(
        default_factory=lambda: {4: "Delhivery", 5: "Blue Dart"},
        description="Courier partner ids (cp_id) the account has credentials for, and their names (demo values).",
    )
    api_requests_per_second: float | None = Field(
        default=None, description="API calls per second per key; unpublished by ClickPost, so off (None)."
    )
    api_burst: int = Field(default=10, description="Calls a key may make at once when the limit is on.")
    webhook_url: str | None = Field(default=None, description="Where status webhooks go (dashboard setting).")
    webhook_key: str | None = Field(default=None, description="Sent as the `webhook_key` header; none = no header.")
    webhook_retries: int = Field(default=3, description="Retries after a non-2xx (ClickPost retries; count unknown).")
    webhook_backoff: float = 0.2

    @field_validator("couriers", mode="before")
    @classmethod
    def _couriers_from_json(cls, value: Any) -> Any:
        """`SANDBOX_CLICKPOST_COURIERS='{"4": "Delhivery"}'` arrives as text."""
        return json.loads(value) if isinstance(value, str) else value
