"""How a service gets a registry session: the face passes a factory (the command line's checks the schema first)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

from sqlalchemy.orm import Session

SessionFactory = Callable[[], AbstractContextManager[Session]]
"""A context manager giving a session that commits on a clean exit and rolls back on an exception
(`connectors.registry.db.session_scope`)."""
