"""What the SAP Business One sandbox accepts and how it behaves (the `sap_business_one` section of the config).

SAP documents no request-rate limit for the Service Layer (it is bound by its capacity), so the limit here is off
until `requests_per_second` is set, as for the other vendors that publish none.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SapBusinessOneConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    company_db: str = "SBODEMOIN"
    username: str = "manager"
    password: str = "sandbox-b1-password"
    session_timeout: int = Field(default=30, ge=1, description="SessionTimeout in minutes (the Login answer).")
    idle_seconds: float | None = Field(
        default=None, gt=0, description="Idle time that ends a session, seconds; unset: session_timeout minutes."
    )
    version: str = Field(default="1000190", description="The Service Layer version the Login answer reports.")
    route_id: str = Field(default=".node1", description="ROUTEID cookie: the load balancer's node.")
    page_size: int = Field(default=20, ge=1, description="Rows per page without `Prefer: odata.maxpagesize`.")
    requests_per_second: float | None = Field(
        default=None, description="Calls per second per client address; undocumented by SAP, so off (None)."
    )
    burst: int = Field(default=10, ge=1, description="Calls a client may make at once when the limit is on.")
    warehouse: str = Field(default="01", description="Default warehouse of the demo items.")
    seed_demo_data: bool = True

    @property
    def idle_limit(self) -> float:
        return self.idle_seconds if self.idle_seconds is not None else self.session_timeout * 60.0
