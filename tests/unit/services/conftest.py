"""The catalog, and a SQLite registry holding the seed workflows, for the service-layer tests."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from sqlalchemy.orm import Session

from connectors.registry.db import session_scope
from connectors.spec import Catalog
from tests.unit.registry.test_registry import apply_seed_workflows


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load()


@pytest.fixture
def sessions(sqlite_registry: str) -> Callable[[], AbstractContextManager[Session]]:
    apply_seed_workflows(sqlite_registry)
    return lambda: session_scope(sqlite_registry)
