"""What every simulated vendor API shares: errors answered in the vendor's own body shape, JSON request bodies
read with vendor-shaped errors, and the control API's `?wait=true` switch."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException


class VendorError(Exception):
    """An error answered with the vendor's own body shape."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status, body)
        self.status, self.body, self.headers = status, body, headers or {}


def install_error_handlers(app: FastAPI, shape: Callable[[int, str], Any]) -> None:
    """`VendorError` as given; routing errors (404, 405) and bad parameters in the vendor's `shape`."""

    @app.exception_handler(VendorError)
    async def _vendor(request: Request, exc: VendorError) -> JSONResponse:
        return JSONResponse(exc.body, status_code=exc.status, headers=exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(shape(exc.status_code, str(exc.detail)), status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(shape(400, "Bad Request"), status_code=400)


async def json_body(request: Request, error: Callable[[str], VendorError], *, optional: bool = False) -> Any:
    """The parsed JSON body; `error(message)` is raised when it is missing or not JSON."""
    raw = await request.body()
    if not raw.strip():
        if optional:
            return {}
        raise error("request body is empty")
    try:
        return json.loads(raw)
    except ValueError:
        raise error("request body is not valid JSON") from None


def wants_wait(request: Request) -> bool:
    """`?wait=true`: the control call returns only after the webhooks it caused were delivered (tests, CLI)."""
    return request.query_params.get("wait") == "true"
