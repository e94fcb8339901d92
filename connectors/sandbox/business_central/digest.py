"""HTTP Digest access authentication (RFC 7616) in front of the NAV server's web services, as an IIS or reverse
proxy in front of NAV would ask for it, and HTTP Basic (NAV's NavUserPassword credential type) when enabled.

A request without valid credentials gets 401 with `WWW-Authenticate: Digest realm, qop="auth", algorithm, nonce,
opaque, stale`. The nonce carries the time it was issued, signed by the server, so any nonce it did not issue is
refused; one older than `nav_nonce_ttl` (or issued before `POST /_sandbox/nav/expire_nonces`) is *stale*: a
response that is otherwise right is answered with a fresh nonce and `stale=TRUE`, so the client repeats the request
without asking the user again. The response is checked as RFC 7616 3.4.1 computes it with `qop=auth`
(`H(H(user:realm:password):nonce:nc:cnonce:auth:H(method:uri))`), `uri` must be the request's target, and each nonce
count `nc` must be higher than the last one seen for that nonce (a replayed request is refused)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import time

from fastapi import Request

from connectors.sandbox.business_central.context import BusinessCentralContext, odata_error
from connectors.sandbox.vendor_api import VendorError

HASHES = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}
_PARAM = re.compile(r'\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))\s*,?')
REFUSED = "The server has rejected the client credentials."


def _hash(algorithm: str, text: str) -> str:
    return HASHES[algorithm](text.encode()).hexdigest()


def _sign(ctx: BusinessCentralContext, text: str) -> str:
    return hmac.new(ctx.config.signing_key.encode(), text.encode(), hashlib.sha256).hexdigest()[:32]


def new_nonce(ctx: BusinessCentralContext) -> str:
    issued = f"{time.time():.6f}"
    return base64.b64encode(f"{issued}:{_sign(ctx, issued)}".encode()).decode()


def nonce_issued_at(ctx: BusinessCentralContext, nonce: str) -> float | None:
    """When the sandbox issued `nonce`; None for a nonce it did not issue."""
    try:
        issued, _, signature = base64.b64decode(nonce, validate=True).decode().partition(":")
        return float(issued) if hmac.compare_digest(_sign(ctx, issued), signature) else None
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def challenge(ctx: BusinessCentralContext, stale: bool = False) -> VendorError:
    """A 401 asking for Digest credentials (a new nonce every time), counted in the state."""
    config = ctx.config
    opaque = _sign(ctx, "opaque")
    header = (f'Digest realm="{config.nav_realm}", qop="auth", algorithm={config.nav_algorithm}, '
              f'nonce="{new_nonce(ctx)}", opaque="{opaque}", stale={"TRUE" if stale else "FALSE"}')  # fmt: skip
    with ctx.state.lock:
        ctx.data.digest_challenges += 1
    return odata_error(401, REFUSED, **{"WWW-Authenticate": header})


def parse_params(text: str) -> dict[str, str]:
    """The `name=value, name="quoted value"` list of a Digest Authorization header."""
    params, position = {}, 0
    while position < len(text):
        match = _PARAM.match(text, position)
        if match is None or match.end() == position:
            break
        quoted, bare = match.group(2), match.group(3)
        params[match.group(1).lower()] = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare
        position = match.end()
    return params


def _target(request: Request) -> str:
    path = request.scope.get("raw_path") or request.scope["path"].encode()
    query = request.scope.get("query_string", b"")
    return (path + (b"?" + query if query else b"")).decode("latin-1")


def _check_basic(ctx: BusinessCentralContext, credentials: str) -> str:
    try:
        user, _, password = base64.b64decode(credentials, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise challenge(ctx) from None
    expected = f"{ctx.config.nav_username}:{ctx.config.nav_password}".encode()
    if not ctx.config.nav_basic or not hmac.compare_digest(f"{user}:{password}".encode(), expected):
        raise challenge(ctx)
    return user


def _check_digest(ctx: BusinessCentralContext, request: Request, text: str) -> str:
    config, params = ctx.config, parse_params(text)
    algorithm = params.get("algorithm", "MD5")
    if (
        any(not params.get(name) for name in ("username", "realm", "nonce", "uri", "response", "nc", "cnonce"))
        or params.get("qop") != "auth" or algorithm.upper() != config.nav_algorithm.upper()
        or params["realm"] != config.nav_realm or params.get("opaque") != _sign(ctx, "opaque")
        or params.get("userhash", "false").lower() == "true" or params["uri"] != _target(request)
        or params["username"] != config.nav_username or not re.fullmatch(r"[0-9a-fA-F]{8}", params["nc"])
    ):  # fmt: skip
        raise challenge(ctx)
    issued = nonce_issued_at(ctx, params["nonce"])
    if issued is None:
        raise challenge(ctx)
    ha1 = _hash(config.nav_algorithm, f"{params['username']}:{config.nav_realm}:{config.nav_password}")
    ha2 = _hash(config.nav_algorithm, f"{request.method}:{params['uri']}")
    expected = _hash(config.nav_algorithm,
                     f"{ha1}:{params['nonce']}:{params['nc']}:{params['cnonce']}:auth:{ha2}")  # fmt: skip
    if not hmac.compare_digest(expected.encode(), params["response"].lower().encode()):
        raise challenge(ctx)
    count = int(params["nc"], 16)
    with ctx.state.lock:
        stale = issued < ctx.data.nonces_valid_after or time.time() - issued > config.nav_nonce_ttl
        replayed = count <= ctx.data.nonce_counts.get(params["nonce"], 0)
        if not stale and not replayed:
            ctx.data.nonce_counts[params["nonce"]] = count
    if stale:
        raise challenge(ctx, stale=True)
    if replayed:
        raise challenge(ctx)
    return params["username"]


def verify_nav_credentials(ctx: BusinessCentralContext, request: Request) -> str:
    """The NAV user a request authenticates as (Digest, or Basic when enabled); else the 401 challenge is raised."""
    scheme, _, rest = request.headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() == "digest":
        return _check_digest(ctx, request, rest)
    if scheme.lower() == "basic":
        return _check_basic(ctx, rest.strip())
    raise challenge(ctx)
