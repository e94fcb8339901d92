"""The Marg ERP sandbox's config section (`SandboxConfig.marg`, `SANDBOX_MARG_<FIELD>`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class MargConfig(BaseModel):
    """The company's credentials (sent in every JSON body), the rows answered per `Index` and the request-rate limit
    (Marg publishes none: off until `requests_per_second` is set)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    company_code: str = "SANDBOXCO"
    marg_id: str = "314539"
    page_size: int = Field(default=500, gt=0, description="Rows per Index of MargMST2017 (assumption: unpublished).")
    requests_per_second: float | None = Field(
        default=None, description="Calls per second per company; unpublished by Marg, so off (None)."
    )
    burst: int = Field(default=10, description="Calls a company may make at once when the limit is on.")
