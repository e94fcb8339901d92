"""Fixtures of the workflow tests: `registry` is a migrated SQLite registry the process uses (INTEGRATIONS_DB_URL)."""

from __future__ import annotations

import pytest


@pytest.fixture
def registry(sqlite_registry: str) -> str:
    return sqlite_registry
