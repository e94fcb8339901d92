"""Start a real server as a subprocess on 127.0.0.1 and stop it at teardown."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Self

HOST = "127.0.0.1"

# Ignores *_proxy environment variables: requests to 127.0.0.1 always go direct.
local_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def port_open(port: int, host: str = HOST) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def http_answers(url: str) -> Callable[[], bool]:
    """Readiness probe: any HTTP response (even 4xx/5xx) from ``url`` counts."""

    def probe() -> bool:
        try:
            with local_opener.open(url, timeout=2):
                return True
        except urllib.error.HTTPError:
            return True
        except (OSError, urllib.error.URLError):
            return False

    return probe


class ServerStartError(RuntimeError):
    pass


@dataclass
class ServerProcess:
    """A started server; also a context manager that stops it on exit."""

    name: str
    args: list[str]
    proc: subprocess.Popen[bytes]
    log_dir: Path

    def output(self) -> str:
        """The server's captured stdout and stderr so far (for error messages)."""
        parts = []
        for label in ("stdout", "stderr"):
            path = self.log_dir / label
            text = path.read_text(errors="replace").strip() if path.exists() else ""
            if text:
                parts.append(f"--- {label} ---\n{text[-6000:]}")
        return "\n".join(parts) or "(no output)"

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the server's process group, SIGKILL it if it lingers."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout)
        shutil.rmtree(self.log_dir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_server(
    name: str,
    args: Sequence[str],
    ports: Sequence[int],
    *,
    ready: Callable[[], bool] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 30.0,
) -> ServerProcess:
    """Start ``args`` in its own process group and wait until every port in
    ``ports`` accepts TCP connections on 127.0.0.1 and ``ready()`` (if given)
    is true. Raises ServerStartError with the server's output if it exits or
    is not ready within ``timeout`` seconds."""
    log_dir = Path(tempfile.mkdtemp(prefix=f"{name}-"))
    with open(log_dir / "stdout", "wb") as out, open(log_dir / "stderr", "wb") as err:
        proc = subprocess.Popen(
            list(args),
            cwd=cwd,
            env=None if env is None else {**os.environ, **env},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,  # own process group: teardown also reaches workers
        )
    server = ServerProcess(name, list(args), proc, log_dir)
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            problem = f"exited with code {proc.returncode} before it was ready"
        elif all(port_open(p) for p in ports) and (ready is None or ready()):
            return server
        elif time.monotonic() > deadline:
            problem = f"was not ready within {timeout:.0f}s (ports {list(ports)})"
        else:
            time.sleep(0.1)
            continue
        output = server.output()
        server.stop()
        raise ServerStartError(f"{name} {problem}.\ncommand: {' '.join(args)}\n{output}")
