"""The registry's token store: Fernet-encrypted rows; a row lock serialises refreshes across processes."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict

from cryptography.fernet import Fernet, MultiFernet
from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.registry.db import insert_for, session_scope
from connectors.registry.models import StoredToken
from connectors.runtime.auth.token_store import MemoryTokenStore, TokenSet


def fernet_for(keys: str | bytes) -> MultiFernet:
    """Airflow's key list, `new,old`: tokens are encrypted with the first key and read with any, so rows written
    before a key rotation still decrypt (and are rewritten under the new key at their next save)."""
    text = keys.decode() if isinstance(keys, bytes) else keys
    return MultiFernet([Fernet(key.strip()) for key in text.split(",") if key.strip()])


class DatabaseTokenStore:
    """Implements `connectors.runtime.auth.TokenStore` on the registry database."""

    def __init__(self, fernet_key: str | bytes, url: str | None = None) -> None:
        self._fernet = fernet_for(fernet_key)
        self._url = url
        self._threads = MemoryTokenStore()
        self._local = threading.local()

    @contextmanager
    def _session(self) -> Iterator[Session]:
        """Inside `lock`, the locking transaction; otherwise a short one of its own."""
        current = getattr(self._local, "session", None)
        if current is not None:
            yield current
            return
        with session_scope(self._url) as session:
            yield session

    def load(self, key: str) -> TokenSet | None:
        with self._session() as session:
            ciphertext = session.scalar(select(StoredToken.ciphertext).where(StoredToken.key == key))
        return TokenSet(**json.loads(self._fernet.decrypt(ciphertext))) if ciphertext else None

    def save(self, key: str, tokens: TokenSet) -> None:
        ciphertext = self._fernet.encrypt(json.dumps(asdict(tokens)).encode())
        with self._session() as session:
            self._ensure_row(session, key)
            session.get(StoredToken, key, with_for_update=True).ciphertext = ciphertext  # type: ignore[union-attr]

    @contextmanager
    def lock(self, key: str) -> Iterator[None]:
        """Hold the token row's lock (PostgreSQL row lock; SQLite write lock) while refreshing."""
        with self._threads.lock(key), session_scope(self._url) as session:
            self._ensure_row(session, key)
            session.execute(select(StoredToken.key).where(StoredToken.key == key).with_for_update())
            self._local.session = session
            try:
                yield
            finally:
                self._local.session = None

    @staticmethod
    def _ensure_row(session: Session, key: str) -> None:
        insert = insert_for(session.get_bind().dialect.name)
        session.execute(insert(StoredToken).values(key=key, ciphertext=None).on_conflict_do_nothing())
