"""Sandboxes with S/4HANA settings of their own: small server pages, and a request-rate limit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.sandbox import SandboxServer
from tests.unit.sandbox.fixtures import LIMIT, NEVER, Sandbox, fast_config


@pytest.fixture(scope="module")
def _small_pages_server() -> Iterator[SandboxServer]:
    with SandboxServer(fast_config(sap_s4hana={"page_size": 2})) as server:
        yield server


@pytest.fixture
def small_pages(_small_pages_server: SandboxServer) -> Sandbox:
    """A sandbox whose S/4HANA answers at most 2 entities a page, reset for each test."""
    _small_pages_server.state.reset()
    return Sandbox(_small_pages_server)


@pytest.fixture(scope="module")
def _limited_server() -> Iterator[SandboxServer]:
    with SandboxServer(fast_config(sap_s4hana={"requests_per_second": NEVER, "burst": LIMIT})) as server:
        yield server


@pytest.fixture
def limited(_limited_server: SandboxServer) -> Sandbox:
    """A sandbox whose S/4HANA allows LIMIT calls per user that never refill, reset for each test."""
    _limited_server.state.reset()
    return Sandbox(_limited_server)
