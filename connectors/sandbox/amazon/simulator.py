"""Amazon Selling Partner API simulator, mounted so that `{mount}` is both the SP-API endpoint
(`https://sellingpartnerapi-eu.amazon.com`) and, under `{mount}/auth`, the LWA host (`https://api.amazon.com/auth/o2/
token`). Every SP-API call needs a valid `x-amz-access-token` (403 `Unauthorized` otherwise; an AWS SigV4
`Authorization` header, which SP-API stopped requiring in 2023, is ignored as SP-API ignores it), spends one request
of its operation's token bucket per LWA client (429 `QuotaExceeded` when empty, counted) and carries
`x-amzn-RateLimit-Limit` (the operation's rate) and `x-amzn-RequestId`. Orders v0 (`orders`), Listings Items
(`listings`) and the control API at `{mount}/_sandbox` (`control`)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from connectors.sandbox.amazon.context import RATE_HEADER, AmazonContext, operation_for, sp_error
from connectors.sandbox.amazon.control import control_router, seed_listings
from connectors.sandbox.amazon.listings import listings_router
from connectors.sandbox.amazon.orders import orders_router
from connectors.sandbox.amazon.tokens import lwa_router, verify_access_token
from connectors.sandbox.config import AmazonConfig
from connectors.sandbox.faults import install_faults
from connectors.sandbox.state import SandboxState
from connectors.sandbox.vendor_api import VendorError, install_error_handlers

QUOTA_EXCEEDED = "You exceeded your quota for the requested resource."
CODES = {400: "InvalidInput", 403: "Unauthorized", 404: "NotFound", 429: "QuotaExceeded", 503: "ServiceUnavailable"}


def _shape(status: int, detail: str) -> dict[str, Any]:
    return {"errors": [{"code": CODES.get(status, "InternalFailure"), "message": detail}]}


def build_amazon(config: AmazonConfig, state: SandboxState) -> FastAPI:
    ctx = AmazonContext(config, state)
    app = FastAPI(title="Amazon SP-API sandbox", docs_url="/_sandbox/docs", openapi_url="/_sandbox/openapi.json")
    install_error_handlers(app, _shape)

    @app.middleware("http")
    async def access_token_gate(request: Request, call_next: Any) -> Response:
        root = request.scope.get("root_path", "")
        operation = operation_for(request.method, request.scope["path"].removeprefix(root))
        if operation is None:
            return await call_next(request)
        headers = {RATE_HEADER: f"{ctx.rate_of(operation):g}", "x-amzn-RequestId": str(uuid.uuid4())}
        try:
            client_id = verify_access_token(config, state, request.headers.get("x-amz-access-token"))
            if not ctx.admit(operation, client_id):
                raise sp_error(429, "QuotaExceeded", QUOTA_EXCEEDED)
        except VendorError as refusal:
            return JSONResponse(refusal.body, status_code=refusal.status, headers=headers)
        response: Response = await call_next(request)
        response.headers.update(headers)
        return response

    install_faults(app, state, "amazon", _shape)
    app.include_router(lwa_router(ctx), prefix="/auth")
    app.include_router(orders_router(ctx))
    app.include_router(listings_router(ctx))
    app.include_router(control_router(ctx), prefix="/_sandbox")
    if config.seed_demo_data:
        state.on_reset("amazon", seed_listings)
    return app
