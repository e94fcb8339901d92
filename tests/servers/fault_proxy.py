"""A reverse proxy that injects transport faults, for chaos tests: what a vendor's API looks like to the platform
when its host is down (nothing listens: connections are refused) or when the network loses an answer after the
vendor acted on the request (the upstream answered; the client's connection is reset instead). Faults of the
application itself (503s, slow answers, "commit then 503") are the sandbox's own: `connectors.sandbox.faults`.

    with FaultProxy("http://127.0.0.1:8900") as proxy:   # HTTP/1.1, on a free 127.0.0.1 port, in a thread
        proxy.refuse()                                    # stop listening, cut open connections: ECONNREFUSED
        proxy.accept()                                    # listen again on the same port
        proxy.reset_after_answer("POST", "/eshopbox/wms/api/order", times=1)

Every request is forwarded on a fresh upstream connection; the client side keeps its connections alive as the
client asks. A reset is a real TCP RST (`SO_LINGER` 0 then close), as a crashed middlebox or peer sends it.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, Self, TypeVar
from urllib.parse import urlsplit

import h11

HOST = "127.0.0.1"
HOP_BY_HOP = {b"connection", b"keep-alive", b"transfer-encoding", b"content-length", b"proxy-connection"}
T = TypeVar("T")


@dataclass
class _ResetRule:
    method: str
    path: str
    remaining: int


class FaultProxy:
    """`forwarded` counts requests answered through the proxy, `resets` answers replaced by a reset; `last_fault_at`
    is when the proxy last refused or reset (wall clock), for measuring recovery."""

    def __init__(self, upstream: str = "", port: int = 0) -> None:
        self.upstream, self.port = upstream, port
        self.forwarded = self.resets = 0
        self.last_fault_at: float | None = None
        self._rules: list[_ResetRule] = []
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fault-proxy", daemon=True)
        self._server: asyncio.Server | None = None
        self._clients: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def listening(self) -> bool:
        return self._server is not None

    # -- control (from any thread) -------------------------------------------------------------------------------

    def start(self) -> Self:
        self._thread.start()
        self._call(self._listen())
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._call(self._close())
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)

    def refuse(self) -> None:
        """Stop listening and reset every open connection: the host is down."""
        self._call(self._close())
        self.last_fault_at = time.time()

    def accept(self) -> None:
        """Listen again on the same port."""
        self._call(self._listen())

    def reset_after_answer(self, method: str, path: str, times: int = 1) -> None:
        """The next `times` requests with `method` whose path starts with `path` are forwarded, and once the upstream
        has answered, the client's connection is reset instead of getting that answer."""
        with self._lock:
            self._rules.append(_ResetRule(method.upper(), path, times))

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=30)

    # -- in the proxy's loop ---------------------------------------------------------------------------------------

    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(self._serve, HOST, self.port, reuse_address=True)
            self.port = self._server.sockets[0].getsockname()[1]

    async def _close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for writer in list(self._clients):
            _reset(writer)

    def _take_reset(self, method: str, path: str) -> bool:
        with self._lock:
            rule = next(
                (r for r in self._rules if r.remaining and r.method == method and path.startswith(r.path)), None
            )
            if rule is None:
                return False
            rule.remaining -= 1
            self.resets += 1
            self.last_fault_at = time.time()
            return True

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._clients.add(writer)
        client = h11.Connection(h11.SERVER)
        try:
            while True:
                request = await _read_message(client, reader, h11.Request)
                if request is None:
                    return
                head, body = request
                answer = await self._forward(head, body)
                if self._take_reset(head.method.decode(), head.target.decode()):
                    _reset(writer)
                    return
                status, headers, payload = answer
                writer.write(client.send(h11.Response(status_code=status, headers=headers)) or b"")
                writer.write(client.send(h11.Data(data=payload)) or b"")
                writer.write(client.send(h11.EndOfMessage()) or b"")
                await writer.drain()
                with self._lock:
                    self.forwarded += 1
                if client.our_state is h11.MUST_CLOSE or client.their_state is h11.MUST_CLOSE:
                    return
                client.start_next_cycle()
        except (ConnectionError, h11.ProtocolError, OSError):
            return
        finally:
            self._clients.discard(writer)
            writer.close()

    async def _forward(self, head: h11.Request, body: bytes) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """The upstream's answer (status, end-to-end headers with the body's length, body); 502 when unreachable."""
        target = urlsplit(self.upstream)
        try:
            reader, writer = await asyncio.open_connection(target.hostname, target.port)
        except OSError:
            return 502, [(b"content-length", b"0")], b""
        upstream = h11.Connection(h11.CLIENT)
        try:
            headers = [(k, v) for k, v in head.headers if k.lower() not in HOP_BY_HOP]
            headers += [(b"content-length", str(len(body)).encode()), (b"connection", b"close")]
            writer.write(upstream.send(h11.Request(method=head.method, target=head.target, headers=headers)) or b"")
            writer.write(upstream.send(h11.Data(data=body)) or b"")
            writer.write(upstream.send(h11.EndOfMessage()) or b"")
            await writer.drain()
            answer = await _read_message(upstream, reader, h11.Response)
        except (ConnectionError, h11.ProtocolError, OSError):
            answer = None
        finally:
            writer.close()
        if answer is None:
            return 502, [(b"content-length", b"0")], b""
        response, payload = answer
        headers = [(k, v) for k, v in response.headers if k.lower() not in HOP_BY_HOP]
        return response.status_code, [*headers, (b"content-length", str(len(payload)).encode())], payload


async def _read_message(
    connection: h11.Connection, reader: asyncio.StreamReader, kind: type[h11.Request] | type[h11.Response]
) -> tuple[Any, bytes] | None:
    """One whole request or response (its head and body), or None when the peer closed before one began."""
    head, body = None, bytearray()
    while True:
        event = connection.next_event()
        if event is h11.NEED_DATA:
            connection.receive_data(await reader.read(65536))
        elif isinstance(event, kind):
            head = event
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage):
            return head, bytes(body)
        elif isinstance(event, h11.ConnectionClosed) or event is h11.PAUSED:
            return None


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST rather than a FIN: the peer's next read fails with ECONNRESET."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
