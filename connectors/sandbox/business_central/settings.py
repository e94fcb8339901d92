"""The Business Central / NAV section of the sandbox config (`SANDBOX_BUSINESS_CENTRAL_<FIELD>`). Kept here, with a
base of its own, so that `connectors.sandbox.config` can import it without importing the simulator."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class BusinessCentralConfig(BaseModel):
    """Business Central online: the Entra ID app registration, tenant, environment and company; the documented
    request limit (6,000 per 5-minute sliding window per user). Dynamics NAV on-premises: the server instance, its
    company and the web service user, the realm of its Digest challenge and how long a nonce stays fresh."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    tenant_id: str = "sandbox.onmicrosoft.com"
    environment: str = "Production"
    client_id: str = "00000000-0000-0000-0000-00000000b0c1"
    client_secret: str = "sandbox-bc-client-secret"
    token_ttl: int = Field(default=3599, description="expires_in of access tokens, seconds (Entra ID: 60-90 min).")
    signing_key: str = "sandbox-bc-signing-key"
    company_id: str = "5d115c9c-44e3-ea11-bb43-000d3a2feca1"
    company_name: str = "CRONUS IN"
    api_requests_per_window: int | None = Field(
        default=6000, description="API calls per sliding window per user (documented: 6,000 per 5 min); None = off."
    )
    api_window_seconds: float = 300.0
    max_page_size: int = Field(default=20000, description="Entities per page without odata.maxpagesize (20,000).")
    nav_instance: str = "DynamicsNAV110"
    nav_company: str = "CRONUS India Ltd."
    nav_username: str = "NAVWS"
    nav_password: str = "sandbox-nav-password"
    nav_realm: str = "DynamicsNAV"
    nav_algorithm: Literal["MD5", "SHA-256"] = Field(default="MD5", description="The Digest challenge's algorithm.")
    nav_nonce_ttl: float = Field(default=300.0, description="Seconds a Digest nonce stays fresh (then stale=TRUE).")
    nav_basic: bool = Field(default=True, description="Also accept HTTP Basic (NavUserPassword credential type).")
    seed_demo_data: bool = True
