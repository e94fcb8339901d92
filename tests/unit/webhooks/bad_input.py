"""A seeded corpus of hostile HTTP requests for the webhook receiver, as raw bytes (so malformed framing, huge
headers and unnormalised paths reach the server exactly as written), and a raw-socket sender.

Each request says whether it must be stored (`True`: authentic and well formed), must not be (`False`), or may be
either (`None`: e.g. a random mutation that may leave an unsigned header changed and the signature intact).
"""

from __future__ import annotations

import json
import random
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from tests.unit.webhooks.conftest import DELHIVERY_TOKEN, ESHOPBOX_TOKEN, shopify_order, shopify_signature

# app -> (its demo connection, the verification headers for a body)
AUTHENTIC: dict[str, tuple[str, Callable[[bytes], dict[str, str]]]] = {
    "shopify": ("demo_shopify", lambda body: {"X-Shopify-Hmac-Sha256": shopify_signature(body)}),
    "eshopbox": ("demo_eshopbox", lambda body: {"x-api-key": ESHOPBOX_TOKEN}),
    "delhivery": ("demo_delhivery", lambda body: {"X-Webhook-Token": DELHIVERY_TOKEN}),
}
SHOPIFY = "/webhooks/shopify/order_created/demo_shopify"
ESHOPBOX = "/webhooks/eshopbox/shipment_updated/demo_eshopbox"


@dataclass(frozen=True)
class HostileRequest:
    name: str
    raw: bytes
    stores: bool | None
    half_close: bool = False  # end our side of the connection after sending (a sender that gave up)


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: the server closed the connection without answering
    body: bytes

    def stored(self) -> list[int]:
        if self.status != 200:
            return []
        try:
            return list(json.loads(self.body).get("stored", []))
        except ValueError:
            return []


def send_raw(base_url: str, raw: bytes, timeout: float, half_close: bool = False) -> Answer:
    """Write `raw` on a fresh connection to the server of `base_url` and read one answer (until its declared
    length, or the server closes, or `timeout` passes: a request whose headers never end gets no answer)."""
    parts = urlsplit(base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        try:
            sock.sendall(raw)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
        except OSError:  # the server answered and closed while we were still sending (e.g. 413, 431)
            pass
        received = b""
        try:
            while not _complete(received) and (chunk := sock.recv(65536)):
                received += chunk
        except (ConnectionResetError, TimeoutError):
            pass
    head, _, body = received.partition(b"\r\n\r\n")
    fields = head.split(b" ", 2)
    status = int(fields[1]) if len(fields) > 1 and fields[0].startswith(b"HTTP/") and fields[1].isdigit() else None
    return Answer(status, body)


def _complete(received: bytes) -> bool:
    head, separator, body = received.partition(b"\r\n\r\n")
    if not separator:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and value.strip().isdigit():
            return len(body) >= int(value)
    return False


def http_request(
    path: str,
    headers: list[tuple[str | bytes, str | bytes]],
    body: bytes = b"",
    method: str = "POST",
    content_length: bytes | None = None,
) -> bytes:
    """One HTTP/1.1 request, `Connection: close`; Content-Length from the body unless given (b"" leaves it out)."""
    lines = [f"{method} {path} HTTP/1.1".encode("latin-1"), b"Host: 127.0.0.1", b"Connection: close"]
    for name, value in headers:
        lines.append(_bytes(name) + b": " + _bytes(value))
    length = str(len(body)).encode() if content_length is None else content_length
    if length:
        lines.append(b"Content-Length: " + length)
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def _bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("latin-1")


class Corpus:
    """Builds the requests; `prefix` is where the receiver is mounted (`/integrations`)."""

    def __init__(self, prefix: str, seed: int) -> None:
        self.prefix, self.rng, self.serial = prefix, random.Random(seed), 0
        self.requests: list[HostileRequest] = []

    def webhook_id(self) -> str:
        self.serial += 1
        return f"fuzz-{self.serial}-{self.rng.getrandbits(32):08x}"

    def add(self, name: str, raw: bytes, stores: bool | None, half_close: bool = False) -> None:
        self.requests.append(HostileRequest(name, raw, stores, half_close))

    def shopify(
        self,
        body: bytes,
        signature: str | bytes | None = "sign",
        path: str = SHOPIFY,
        extra: list[tuple[str | bytes, str | bytes]] | None = None,
        **options: bytes | str,
    ) -> bytes:
        headers: list[tuple[str | bytes, str | bytes]] = [
            ("Content-Type", "application/json"),
            ("X-Shopify-Topic", "orders/create"),
            ("X-Shopify-Webhook-Id", self.webhook_id()),
        ]
        if signature == "sign":
            signature = shopify_signature(body)
        if signature is not None:
            headers.append(("X-Shopify-Hmac-Sha256", signature))
        return http_request(self.prefix + path, headers + (extra or []), body, **options)  # type: ignore[arg-type]

    def eshopbox(self, body: bytes, token: str | bytes | None = ESHOPBOX_TOKEN) -> bytes:
        headers: list[tuple[str | bytes, str | bytes]] = [("Content-Type", "application/json")]
        if token is not None:
            headers.append(("x-api-key", token))
        return http_request(self.prefix + ESHOPBOX, headers, body)


def hostile_requests(seed: int, prefix: str = "/integrations") -> Iterator[HostileRequest]:
    corpus = Corpus(prefix, seed)
    for build in (_signatures, _tokens, _signed_bodies, _dedupe_values, _content_types, _framing, _headers, _paths):
        build(corpus)
    _mutations(corpus, count=120)
    yield from corpus.requests


def _signatures(c: Corpus) -> None:
    order = shopify_order(1)
    rng = c.rng
    c.add("signature missing", c.shopify(order, None), False)
    c.add("signature empty", c.shopify(order, ""), False)
    c.add("signature of another body", c.shopify(order, shopify_signature(b"{}")), False)
    c.add("signature with a guessed secret", c.shopify(order, shopify_signature(order, "secret")), False)
    c.add("signature 8 KB", c.shopify(order, "A" * 8192), False)
    c.add("signature hex instead of base64", c.shopify(order, order.hex()[:64]), False)
    c.add("signature correct", c.shopify(order), True)
    for n in range(20):
        junk = "".join(rng.choice("abcdefABCDEF0123456789+/=-_ ") for _ in range(rng.randint(1, 120))).strip()
        c.add(f"signature ascii junk {n}", c.shopify(order, junk or "x"), False)
    for n in range(20):
        high = bytes(rng.randint(0x80, 0xFF) for _ in range(rng.randint(1, 60)))
        c.add(f"signature non-ascii bytes {n}", c.shopify(order, high), False)
    correct = shopify_signature(order).encode()
    c.add("signature correct then a latin-1 byte", c.shopify(order, correct + b"\xe9"), False)
    c.add("signature truncated", c.shopify(order, correct[:-4]), False)


def _tokens(c: Corpus) -> None:
    shipment = json.dumps({"externalShipmentID": "S-1", "status": "packed", "status_updated_at": "t1"}).encode()
    for name, token in (
        ("missing", None),
        ("empty", ""),
        ("wrong", "wrong-token"),
        ("prefix of the right one", ESHOPBOX_TOKEN[:-1]),
        ("the right one and a byte more", ESHOPBOX_TOKEN + "0"),
        ("upper case", ESHOPBOX_TOKEN.upper()),
        ("non-ascii", ESHOPBOX_TOKEN.encode() + b"\xff"),
        ("8 KB", "t" * 8192),
    ):
        c.add(f"token {name}", c.eshopbox(shipment, token), False)


def _nested(depth: int, opening: str = "[", closing: str = "]") -> bytes:
    return (opening * depth + closing * depth).encode()


def _signed_bodies(c: Corpus) -> None:
    """Authentic deliveries whose bodies are not a well-formed JSON object: 400, nothing stored."""
    bodies: list[tuple[str, bytes]] = [
        ("empty", b""),
        ("whitespace", b" \r\n\t "),
        ("null", b"null"),
        ("array", b"[1, 2]"),
        ("string", b'"order"'),
        ("number", b"42"),
        ("true", b"true"),
        ("NaN", b'{"id": NaN}'),
        ("Infinity", b'{"id": Infinity}'),
        ("-Infinity", b'{"id": -Infinity}'),
        ("integer of 4,301 digits", b'{"id": ' + b"9" * 4301 + b"}"),
        ("integer of 30,000 digits", b'{"id": ' + b"7" * 30000 + b"}"),
        ("UTF-16", json.dumps({"id": 1}).encode("utf-16")),
        ("UTF-32", json.dumps({"id": 1}).encode("utf-32")),
        ("latin-1 text", '{"name": "Café"}'.encode("latin-1")),
        ("invalid UTF-8", b'{"name": "\xc3\x28"}'),
        ("truncated", shopify_order(2)[:-7]),
        ("trailing garbage", shopify_order(3) + b"}"),
        ("XML", b"<order><id>1</id></order>"),
        ("form", b"id=1&name=%231001"),
        ("NUL bytes", b"\x00" * 64),
    ]
    for depth in (1100, 5000, 30000):
        bodies.append((f"arrays nested {depth} deep", _nested(depth)))
        bodies.append((f"objects nested {depth} deep", ('{"a":' * depth + "1" + "}" * depth).encode()))
    for n in range(15):
        bodies.append((f"random bytes {n}", bytes(c.rng.getrandbits(8) for _ in range(c.rng.randint(1, 400)))))
    for name, body in bodies:
        c.add(f"signed body: {name}", c.shopify(body), False)
    well_formed = [
        ("unicode", json.dumps({"id": 7, "name": "नमस्ते 🎉", "note": "\u2028"}, ensure_ascii=False).encode()),
        ("lone surrogate escape", b'{"id": 8, "name": "\\ud800"}'),
        ("huge float", b'{"id": 9, "total": 1e400}'),
        ("duplicate keys", b'{"id": 10, "id": 11}'),
        ("nested 200 deep", b'{"id": 12, "x": ' + _nested(200) + b"}"),
        ("escaped NUL", b'{"id": 13, "name": "a\\u0000b"}'),
        ("60 KB", json.dumps({"id": 14, "note": "x" * 60000}).encode()),
    ]
    for name, body in well_formed:
        c.add(f"signed body: {name}", c.shopify(body), True)


def _dedupe_values(c: Corpus) -> None:
    """Authentic Eshopbox deliveries whose dedupe-key fields hold odd JSON values (the key is built from them)."""
    odd: list[tuple[str, object, bool | None]] = [
        ("lone surrogate", "\ud800", None),
        ("NUL", "S\x00-1", True),
        ("300 characters", "S" * 300, True),
        ("colons and backslashes", "S:1\\:", True),
        ("empty string", "", None),
        ("integer", 12345, True),
        ("float", 1.5, True),
        ("boolean", True, True),
        ("null", None, False),
        ("list", ["a", 1], True),
        ("object", {"a": {"b": 1}}, True),
        ("unicode", "शिपमेंट-१", True),
    ]
    for name, value, stores in odd:
        body = json.dumps({"externalShipmentID": value, "status": "packed", "status_updated_at": c.webhook_id()})
        c.add(f"dedupe value: {name}", c.eshopbox(body.encode()), stores)
    for depth in (100, 500, 900, 990):
        body = b'{"status": "packed", "status_updated_at": "t", "externalShipmentID": ' + _nested(depth) + b"}"
        c.add(f"dedupe value: arrays nested {depth} deep", c.eshopbox(body), None)


def _content_types(c: Corpus) -> None:
    for content_type in (
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=xyz",
        "application/json; charset=utf-16",
        "application/xml",
        "*/*",
        "",
    ):
        order = shopify_order(c.rng.randint(1, 10**9))
        raw = c.shopify(order, extra=[("Content-Type", content_type)]).replace(
            b"Content-Type: application/json\r\n", b"", 1
        )
        c.add(f"content type {content_type!r}", raw, None)  # stored or refused (415): never a 5xx
    order = shopify_order(99)
    c.add("no content type", c.shopify(order).replace(b"Content-Type: application/json\r\n", b""), None)


def _framing(c: Corpus) -> None:
    order = shopify_order(5)
    full = c.shopify(order)
    c.add("declares more than it sends", full[: -len(order) // 2], False)
    c.add("declares more than it sends, then closes", full[: -len(order) // 2], False, half_close=True)
    c.add("headers only, then closes", full[: -len(order)], False, half_close=True)
    c.add("declares less than it sends", c.shopify(order, content_length=str(len(order) - 10).encode()), False)
    for value in (b"abc", b"-1", b"1.5", b"0x10", b"99999999999999999999", b" 12 ", b"+5"):
        c.add(f"content length {value!r}", c.shopify(order, content_length=value), False)
    c.add("two content lengths", c.shopify(order, extra=[("Content-Length", "3")]), False)
    chunked = f"{len(order):x}\r\n".encode() + order + b"\r\n0\r\n\r\n"
    signed = [("X-Shopify-Hmac-Sha256", shopify_signature(order)), ("Transfer-Encoding", "chunked")]

    def chunked_request(body: bytes, content_length: bytes = b"") -> bytes:
        headers = [("X-Shopify-Topic", "orders/create"), ("X-Shopify-Webhook-Id", c.webhook_id()), *signed]
        return http_request(c.prefix + SHOPIFY, headers, content_length=content_length) + body  # type: ignore[arg-type]

    c.add("chunked", chunked_request(chunked), True)
    c.add("bad chunk size", chunked_request(b"zz\r\n" + order + b"\r\n0\r\n\r\n"), False)
    c.add("chunked and a content length", chunked_request(chunked, str(len(order)).encode()), None)
    c.add("gzip transfer coding", c.shopify(order, extra=[("Transfer-Encoding", "gzip")], content_length=b""), False)
    c.add("HTTP/1.0", c.shopify(order).replace(b"HTTP/1.1", b"HTTP/1.0", 1), None)
    c.add("no Host", c.shopify(order).replace(b"Host: 127.0.0.1\r\n", b""), None)


def _headers(c: Corpus) -> None:
    order = shopify_order(6)
    c.add("one 20 KB header", c.shopify(order, extra=[("X-Padding", "p" * 20_000)]), None)
    c.add("one 70 KB header", c.shopify(order, extra=[("X-Padding", "p" * 70_000)]), None)
    c.add("300 headers", c.shopify(order, extra=[(f"X-H{n}", "v" * 50) for n in range(300)]), None)
    c.add("control byte in a value", c.shopify(order, extra=[("X-Note", b"a\x01b")]), False)
    c.add("NUL in a value", c.shopify(order, extra=[("X-Note", b"a\x00b")]), False)
    c.add("space in a name", c.shopify(order, extra=[("X Note", "a")]), False)
    c.add("non-ascii name", c.shopify(order, extra=[(b"X-N\xe9", "a")]), False)
    c.add("folded header", c.shopify(order, extra=[("X-Note", "a\r\n folded")]), False)
    c.add("non-ascii webhook id", c.shopify(order, extra=[("X-Shopify-Webhook-Id", b"\xff\xfe-id")]), None)
    c.add("empty webhook id", c.shopify(order, extra=[("X-Shopify-Webhook-Id", "")]), None)
    c.add("600-character webhook id", c.shopify(order, extra=[("X-Shopify-Webhook-Id", "w" * 600)]), None)
    c.add("signature twice", c.shopify(order, extra=[("X-Shopify-Hmac-Sha256", "wrong")]), None)


def _paths(c: Corpus) -> None:
    order = shopify_order(7)
    odd_segments = [
        "..", "%2e%2e", "..%2F..%2F", "%2F", "%00", "%ZZ", "%FF%FE", "%C3%A9", "a" * 5000, ".", "~",
        "demo_shopify%0d%0aX-Injected:%201", "demo_shopify;x=1", "demo_shopify%20", "DEMO_SHOPIFY", "demo_shopify%00",
    ]  # fmt: skip
    for segment in odd_segments:
        for template in ("/webhooks/shopify/order_created/{}", "/webhooks/{}/order_created/demo_shopify",
                         "/webhooks/workflows/demo/{}"):  # fmt: skip
            c.add(f"path {template.format(segment)[:60]}", c.shopify(order, path=template.format(segment)), False)
    for path in (
        "/webhooks/shopify/order_created/../../health",
        "/webhooks/../health",
        "/webhooks/shopify/order_created/demo_shopify/extra",
        "/webhooks//order_created/demo_shopify",
        "/webhooks/shopify/order_created/demo_shopify?x=1&x=2",
        "/webhooks/shopify/order_created/demo_shopify/",
        "/webhooks/workflows/demo/shopify_order_to_eshopbox/..",
        "/webhooks\\shopify\\order_created\\demo_shopify",
    ):
        c.add(f"path {path}", c.shopify(order, path=path), None if "?" in path else False)
    c.add("path percent-encoded to the real route", c.shopify(order, path=SHOPIFY.replace("_s", "%5Fs")), True)
    for method in ("GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "FOO"):
        c.add(f"method {method}", c.shopify(order, method=method), False)


def _mutations(c: Corpus, count: int) -> None:
    """Random byte flips, insertions and deletions in an authentic request."""
    for n in range(count):
        raw = bytearray(c.shopify(shopify_order(1000 + n)))
        for _ in range(c.rng.randint(1, 4)):
            position = c.rng.randrange(len(raw))
            action = c.rng.choice(("flip", "insert", "delete"))
            if action == "flip":
                raw[position] ^= 1 << c.rng.randrange(8)
            elif action == "insert":
                raw[position:position] = bytes([c.rng.getrandbits(8)])
            else:
                del raw[position]
        c.add(f"mutation {n}", bytes(raw), None)
