"""Session fixture: a real httpbin (PyPI ``httpbin``) served by gunicorn on 127.0.0.1."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from tests.servers.process import HOST, free_port, http_answers, start_server


@pytest.fixture(scope="session")
def httpbin_url() -> Iterator[str]:
    """Base URL of a running httpbin, e.g. ``http://127.0.0.1:40123`` (no trailing slash)."""
    port = free_port()
    url = f"http://{HOST}:{port}"
    args = [
        sys.executable,
        "-m",
        "gunicorn",
        "-b",
        f"{HOST}:{port}",
        "-w",
        "2",
        "httpbin:app",
    ]
    with start_server("httpbin", args, [port], ready=http_answers(f"{url}/get"), timeout=60):
        yield url
