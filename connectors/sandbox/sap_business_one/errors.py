"""The Service Layer's error body (v1): `{"error": {"code": <number>, "message": {"lang": "en-us", "value"}}}`.

Codes and messages SAP's Service Layer is known to answer: 301 "Invalid session or session already timeout." (401),
-2028 "No matching records found (ODBC -2028)" (404), and the reference's login failure 100000027 "Login failed"
(401). The others below are assumptions (the Service Layer documents no catalogue of its errors): -1000 for a query
option it cannot take, -5002 for a document it refuses, and 429 from a rate limit in front of it.
"""

from __future__ import annotations

from typing import Any

from connectors.sandbox.vendor_api import VendorError

INVALID_SESSION = (301, "Invalid session or session already timeout.")
LOGIN_FAILED = (100000027, "Login failed")
NOT_FOUND = (-2028, "No matching records found (ODBC -2028)")


def error_body(code: int, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": {"lang": "en-us", "value": message}}}


def b1_error(status: int, code: int, message: str, headers: dict[str, str] | None = None) -> VendorError:
    return VendorError(status, error_body(code, message), headers)


def invalid_session() -> VendorError:
    return b1_error(401, *INVALID_SESSION)


def not_found() -> VendorError:
    return b1_error(404, *NOT_FOUND)


def invalid_query(message: str) -> VendorError:
    """A query option the Service Layer cannot apply (assumption: code -1000, HTTP 400)."""
    return b1_error(400, -1000, message)


def refused(message: str) -> VendorError:
    """A document the business logic refuses (assumption: code -5002, HTTP 400, the DI API's message)."""
    return b1_error(400, -5002, message)


def shape(status: int, detail: str) -> dict[str, Any]:
    """Routing and framework errors in the Service Layer's body."""
    if status == 404:
        return error_body(-1, "Resource not found for the segment")  # assumption: an unknown entity set
    if status == 405:
        return error_body(-1, "Method not allowed")
    return error_body(-1, detail)
