"""What every Business Central / NAV route needs: the context (config, state), the OData error body
`{"error": {"code", "message"}}` both products answer, and their time format. Kept apart from the routers so that
they and the app that mounts them (`simulator`) import it, never each other."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from connectors.sandbox.business_central.data import BusinessCentralData, Company
from connectors.sandbox.business_central.settings import BusinessCentralConfig
from connectors.sandbox.state import SandboxState
from connectors.sandbox.vendor_api import VendorError

CODES = {400: "BadRequest", 401: "Authentication_InvalidCredentials", 404: "BadRequest_NotFound",
         405: "BadRequest_MethodNotAllowed", 429: "Application_TooManyRequests", 503: "ServiceUnavailable"}  # fmt: skip


def odata_error_body(status: int, message: str, code: str | None = None) -> dict[str, Any]:
    """Business Central's error body; the message ends with the request's correlation id, as BC's do."""
    return {"error": {"code": code or CODES.get(status, "Internal_ServerError"),
                      "message": f"{message}  CorrelationId:  {uuid.uuid4()}."}}  # fmt: skip


def odata_error(status: int, message: str, code: str | None = None, **headers: str) -> VendorError:
    return VendorError(status, odata_error_body(status, message, code), headers or None)


def not_found() -> VendorError:
    return odata_error(404, "The specified resource was not found.")


@dataclass
class BusinessCentralContext:
    config: BusinessCentralConfig
    state: SandboxState

    @property
    def data(self) -> BusinessCentralData:
        return self.state.business_central

    def company(self, company_id: str) -> Company:
        """A BC company by id (call with the lock held); 404 as BC answers an unknown one."""
        company = self.data.companies.get(company_id.strip("'"))
        if company is None:
            raise not_found()
        return company

    def nav_company(self, name: str) -> Company:
        """A NAV company by name (call with the lock held)."""
        company = self.data.nav_companies.get(name)
        if company is None:
            raise odata_error(400, f"Cannot process the request because the company '{name}' does not exist.")
        return company
