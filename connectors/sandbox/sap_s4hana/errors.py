"""How SAP Gateway answers a refused call.

- OData errors: `{"error": {"code", "message": {"lang": "en", "value"}, "innererror": {"application": {...},
  "transactionid", "timestamp", "Error_Resolution": {...}, "errordetails": [...]}}}`.
- A failed logon is the ICF's, not Gateway's: 401 with `WWW-Authenticate: Basic realm="SAP NetWeaver Application
  Server [<SID>/<client>]"` and an HTML page.
- A write without a valid CSRF token: 403, `x-csrf-token: Required`, the text "CSRF token validation failed".
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi.responses import HTMLResponse, PlainTextResponse

from connectors.sandbox.timestamps import now
from connectors.sandbox.vendor_api import VendorError

SAP_NOTE = "See SAP Note 1797736 for error analysis (https://service.sap.com/sap/support/notes/1797736)"
SERVICE_VERSIONS = {"API_SALES_ORDER_SRV": "0001", "API_OUTBOUND_DELIVERY_SRV": "0002"}
COMPONENTS = {"API_SALES_ORDER_SRV": "SD-SLS-API", "API_OUTBOUND_DELIVERY_SRV": "LE-SHP-API"}
CSRF_FAILED = "CSRF token validation failed"
LOGON_FAILED = "<html><head><title>Logon Error Message</title></head><body><h1>Logon failed</h1></body></html>"


def error_body(code: str, message: str, service: str = "", target: str = "") -> dict[str, Any]:
    """SAP Gateway's OData v2 error: the message, its T100 code and the inner error with the service it came from."""
    transaction = secrets.token_hex(16).upper()
    return {
        "error": {
            "code": code,
            "message": {"lang": "en", "value": message},
            "innererror": {
                "application": {
                    "component_id": COMPONENTS.get(service, ""),
                    "service_namespace": "/SAP/",
                    "service_id": service,
                    "service_version": SERVICE_VERSIONS.get(service, ""),
                },
                "transactionid": transaction,
                "timestamp": now().strftime("%Y%m%d%H%M%S.%f") + "0",  # 7 decimals, as ABAP's timestamps
                "Error_Resolution": {
                    "SAP_Transaction": 'For backend administrators: use ADT feed reader "SAP Gateway Error Log" '
                    "or run transaction /IWFND/ERROR_LOG on SAP Gateway hub system and search for entries with the "
                    "timestamp above for more details",
                    "SAP_Note": SAP_NOTE,
                },
                "errordetails": [
                    {"code": code, "message": message, "propertyref": "", "severity": "error", "target": target}
                ],
            },
        }
    }


def sap_error(status: int, code: str, message: str, service: str = "", target: str = "") -> VendorError:
    return VendorError(status, error_body(code, message, service, target))


def shape(status: int, detail: str) -> dict[str, Any]:
    """Routing errors and faults in Gateway's body (404: no such resource, 405: method not allowed)."""
    if status == 404:
        return error_body("/IWFND/MED/170", "No service found for namespace '/SAP/', name and version")
    if status == 405:
        return error_body("/IWBEP/CM_MGW_RT/005", "Method not allowed")
    if status == 429:
        return error_body("/IWFND/CM_BEC/429", "Too many requests")  # assumption: S/4HANA documents no limit
    return error_body(f"/IWFND/CM_BEC/{status}", detail)


def logon_failed(system_id: str, client: str) -> HTMLResponse:
    realm = f'Basic realm="SAP NetWeaver Application Server [{system_id}/{client}]"'
    return HTMLResponse(LOGON_FAILED, status_code=401, headers={"WWW-Authenticate": realm})


def csrf_required() -> PlainTextResponse:
    return PlainTextResponse(CSRF_FAILED, status_code=403, headers={"x-csrf-token": "Required"})
