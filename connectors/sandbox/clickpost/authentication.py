"""How ClickPost authenticates an API call, and its error body.

Every call carries the enterprise's `username` and license `key` as query parameters; AWB registration (v3) takes
only the `key`. The key is static: no login, no expiry. ClickPost answers in one envelope, `{"meta": {"status",
"message", "success"}, "result"}`, where `meta.status` is its own code (301 "Authentication Failed: Invalid Token or
API Key", 302, 323, ...; clickpost.github.io/slate "Error Codes"). Assumption: a refused key or username comes with
HTTP 401, and the other refusals with HTTP 400.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

from connectors.sandbox.clickpost.settings import ClickPostConfig
from connectors.sandbox.vendor_api import VendorError

AUTH_FAILED = (301, "Authentication Failed: Invalid Token or API Key")
KEY_ONLY_PATHS = ("/api/v3/tracking/awb-register/",)


def envelope(status: int, message: str, result: Any, *, success: bool | None = None) -> dict[str, Any]:
    """ClickPost's answer: `meta` (its own status code, message, success) and `result`."""
    return {"meta": {"status": status, "message": message, "success": status == 200 if success is None else success},
            "result": result}  # fmt: skip


def clickpost_error(http_status: int, code: int, message: str) -> VendorError:
    return VendorError(http_status, envelope(code, message, None))


def _same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def authenticate(config: ClickPostConfig, path: str, params: Mapping[str, str]) -> str:
    """The license key of the call; raises ClickPost's 301 when the key (or, where it is required, the username)
    is missing or wrong."""
    key_only = path.startswith(KEY_ONLY_PATHS)
    if not _same(params.get("key"), config.key) or not (key_only or _same(params.get("username"), config.username)):
        raise clickpost_error(401, *AUTH_FAILED)
    return config.key
