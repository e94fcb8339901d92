"""Shared helpers of the simulators: vendor-shaped errors, JSON bodies, timestamps."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

UTC = dt.UTC


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


async def settle(deliveries: Iterable[Any], timeout: float = 30.0) -> None:
    """Wait (off the event loop) until the given webhook deliveries have finished, retries included."""
    for delivery in deliveries:
        await run_in_threadpool(delivery.done.wait, timeout)


def wants_wait(request: Request) -> bool:
    return request.query_params.get("wait") == "true"


def now() -> dt.datetime:
    return dt.datetime.now(UTC)


def parse_offset(text: str) -> dt.timezone:
    sign = -1 if text.startswith("-") else 1
    hours, _, minutes = text.lstrip("+-").partition(":")
    return dt.timezone(sign * dt.timedelta(hours=int(hours), minutes=int(minutes or 0)))


def parse_time(value: Any, default_tz: dt.tzinfo = UTC) -> dt.datetime:
    """ISO-8601 (with `Z`, an offset or none) or `YYYY-MM-DD HH:MM:SS`; naive values are in `default_tz`."""
    if isinstance(value, dt.datetime):
        moment = value
    else:
        text = str(value).strip()
        if not text:
            raise ValueError("empty timestamp")
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1))
    return moment if moment.tzinfo else moment.replace(tzinfo=default_tz)


def iso_z(moment: dt.datetime) -> str:
    """`2024-10-03T04:30:00.123Z` (what JavaScript backends such as Eshopbox's send)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
