"""Faults a vendor's API can be told to inject, for chaos tests and for showing the platform's retries. Off until set.

    POST   /<vendor>/_sandbox/faults  {"mode", "seconds"?, "requests"?, "method"?, "path"?, "delay"?}
    GET    /<vendor>/_sandbox/faults  every fault set since the last clear, with its counts
    DELETE /<vendor>/_sandbox/faults  clear them

Modes:
- `unavailable`: answer 503 without handling the request (the app is down behind its load balancer);
- `commit_then_503`: handle the request (an order is created), then answer 503 instead of its answer: the client
  cannot tell that it took effect;
- `delay`: handle the request, then hold its answer `delay` seconds (a slow app; a client killed meanwhile);
- `rate_limited`: answer 429 with `Retry-After: <retry_after>` without handling the request (an app's rate limit
  hit, for as many requests as the fault lasts, whatever the vendor's own limits say);
- `rejected`: answer `status` (a 4xx, 400 by default) with the vendor's error body and `detail`, without handling
  the request (the app refuses it: an account suspended, a channel switched off on the vendor's side).

A fault lasts `seconds` from when it is set or for `requests` matching requests, whichever ends first (neither: until
cleared). It matches requests with its `method` (any when unset) whose path under the vendor's mount starts with
`path` (`/wms/api/order`). The first active fault that matches a request applies. Control routes (`/_sandbox/...`) are
never faulted, and resetting the vendor clears its faults. Transport faults (connection refused, a reset after the
answer) are a proxy's business: see `tests/servers/fault_proxy.py`.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from connectors.sandbox.timestamps import iso_z, now
from connectors.sandbox.vendor_api import VendorError, json_body

if TYPE_CHECKING:
    from connectors.sandbox.state import SandboxState

CONTROL = "/_sandbox/"


class FaultMode(StrEnum):
    UNAVAILABLE = "unavailable"
    COMMIT_THEN_503 = "commit_then_503"
    DELAY = "delay"
    RATE_LIMITED = "rate_limited"
    REJECTED = "rejected"


class FaultSpec(BaseModel):
    """What `POST /_sandbox/faults` takes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: FaultMode
    seconds: float | None = Field(default=None, gt=0, description="Lasts this long from when it is set.")
    requests: int | None = Field(default=None, ge=1, description="Applies to this many matching requests.")
    method: str | None = Field(default=None, description="Only requests with this method (any when unset).")
    path: str = Field(default="", description="Only paths under the vendor's mount starting with this.")
    delay: float = Field(default=0.0, ge=0, le=600, description="Seconds an answer is held (mode `delay`).")
    retry_after: float = Field(default=1.0, ge=0, le=3600, description="Retry-After seconds (mode `rate_limited`).")
    status: int = Field(default=400, ge=400, le=499, description="The 4xx answered (mode `rejected`).")
    detail: str = Field(default="Request rejected", description="The error message (mode `rejected`).")


_ids = itertools.count(1)


@dataclass
class Fault:
    """One fault as set, and what it did: `served` requests faulted, `in_flight` answers being held now."""

    spec: FaultSpec
    set_at: float = field(default_factory=time.monotonic)
    id: int = field(default_factory=lambda: next(_ids))
    served: int = 0
    in_flight: int = 0
    last_served_at: str | None = None

    def active(self, moment: float) -> bool:
        spec = self.spec
        in_time = spec.seconds is None or moment < self.set_at + spec.seconds
        return in_time and (spec.requests is None or self.served < spec.requests)

    def matches(self, method: str, path: str) -> bool:
        wanted = self.spec.method
        return (wanted is None or wanted.upper() == method.upper()) and path.startswith(self.spec.path)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            **self.spec.model_dump(mode="json"),
            "active": self.active(time.monotonic()),
            "served": self.served,
            "in_flight": self.in_flight,
            "last_served_at": self.last_served_at,
        }


def take_fault(faults: list[Fault], method: str, path: str) -> Fault | None:
    """The fault that applies to this request, counted as served (call with the state lock held)."""
    moment = time.monotonic()
    fault = next((f for f in faults if f.active(moment) and f.matches(method, path)), None)
    if fault is not None:
        fault.served += 1
        fault.last_served_at = iso_z(now())
    return fault


def _path_under_mount(request: Request) -> str:
    path, root = request.scope["path"], request.scope.get("root_path", "")
    return path.removeprefix(root) if root and path.startswith(root) else path


def install_faults(app: FastAPI, state: SandboxState, vendor: str, shape: Callable[[int, str], Any]) -> None:
    """Add the `/_sandbox/faults` routes and the middleware that injects the faults; `shape` builds the vendor's
    error body. Install it after the vendor's own middleware, so that it is the outermost: a 503 from a fault comes
    before authentication and rate limits, as a load balancer's would."""
    app.include_router(faults_router(state, vendor), prefix="/_sandbox")

    @app.middleware("http")
    async def inject_faults(request: Request, call_next: Any) -> Response:
        path = _path_under_mount(request)
        if CONTROL in path:
            return await call_next(request)
        with state.lock:
            fault = take_fault(state.faults[vendor], request.method, path)
        if fault is None:
            return await call_next(request)
        if fault.spec.mode == FaultMode.UNAVAILABLE:
            return JSONResponse(shape(503, "Service Unavailable"), status_code=503)
        if fault.spec.mode == FaultMode.REJECTED:
            return JSONResponse(shape(fault.spec.status, fault.spec.detail), status_code=fault.spec.status)
        if fault.spec.mode == FaultMode.RATE_LIMITED:
            wait = f"{fault.spec.retry_after:g}"
            return JSONResponse(shape(429, "Too Many Requests"), status_code=429, headers={"Retry-After": wait})
        response = await call_next(request)  # handled: whatever the request does has been done
        if fault.spec.mode == FaultMode.COMMIT_THEN_503:
            async for _ in response.body_iterator:  # type: ignore[attr-defined]
                pass
            return JSONResponse(shape(503, "Service Unavailable"), status_code=503)
        with state.lock:
            fault.in_flight += 1
        try:
            await asyncio.sleep(fault.spec.delay)
        finally:
            with state.lock:
                fault.in_flight -= 1
        return response


def faults_router(state: SandboxState, vendor: str) -> APIRouter:
    router = APIRouter()

    @router.get("/faults")
    def list_faults() -> dict[str, Any]:
        with state.lock:
            return {"faults": [fault.as_dict() for fault in state.faults[vendor]]}

    @router.post("/faults", status_code=201)
    async def set_fault(request: Request) -> dict[str, Any]:
        body = await json_body(request, lambda m: VendorError(400, {"message": m}))
        try:
            spec = FaultSpec.model_validate(body)
        except ValidationError as exc:
            problems = [{"field": ".".join(map(str, e["loc"])), "message": e["msg"]} for e in exc.errors()]
            raise VendorError(400, {"message": "invalid fault", "errors": problems}) from None
        fault = Fault(spec)
        with state.lock:
            state.faults[vendor].append(fault)
            return fault.as_dict()

    @router.delete("/faults")
    def clear_faults() -> dict[str, Any]:
        with state.lock:
            cleared, state.faults[vendor] = len(state.faults[vendor]), []
        return {"cleared": cleared}

    return router
