"""Fixtures of the Eshopbox tests: a client with a token, and a sandbox with short tokens and a tight token limit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.sandbox import SandboxServer
from tests.unit.sandbox.eshopbox.api import Eshopbox
from tests.unit.sandbox.fixtures import Sandbox, fast_config


@pytest.fixture
def esb(sandbox: Sandbox) -> Eshopbox:
    return Eshopbox(sandbox)


@pytest.fixture(scope="module")
def strict_sandbox() -> Iterator[Sandbox]:
    """Short-lived tokens and a tight token-endpoint limit."""
    with SandboxServer(fast_config(eshopbox={"token_ttl": 1, "token_rate_limit": 3})) as server:
        yield Sandbox(server)
