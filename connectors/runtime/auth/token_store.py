"""Where obtained tokens live between calls and processes.

`TokenStore` is the interface; the registry database implements it for deployments. `MemoryTokenStore` serves
one process, `FileTokenStore` several processes on one machine (Fernet-encrypted, file-locked).
"""

from __future__ import annotations

import fcntl
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from cryptography.fernet import Fernet


@dataclass(frozen=True)
class TokenSet:
    """An access token (or session token) with its expiry and, for OAuth2, the refresh token."""

    access_token: str
    expires_at: float | None = None
    refresh_token: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    obtained_at: float | None = None

    def effective_margin(self, margin: float) -> float:
        """`margin`, but at most half the token's lifetime: a margin as long as the lifetime would renew the token
        before every request."""
        if self.expires_at is None or self.obtained_at is None:
            return margin
        return min(margin, (self.expires_at - self.obtained_at) / 2)

    def is_fresh(self, margin: float = 0.0, now: float | None = None) -> bool:
        """True while the token is valid for at least the (effective) margin more seconds."""
        if self.expires_at is None:
            return True
        return (time.time() if now is None else now) + self.effective_margin(margin) < self.expires_at


class TokenStore(Protocol):
    def load(self, key: str) -> TokenSet | None: ...

    def save(self, key: str, tokens: TokenSet) -> None: ...

    def lock(self, key: str) -> Any:
        """A context manager held while a token is refreshed, so concurrent callers refresh once."""
        ...


class MemoryTokenStore:
    def __init__(self) -> None:
        self._tokens: dict[str, TokenSet] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def load(self, key: str) -> TokenSet | None:
        return self._tokens.get(key)

    def save(self, key: str, tokens: TokenSet) -> None:
        self._tokens[key] = tokens

    def lock(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())


class FileTokenStore:
    """Tokens in one Fernet-encrypted JSON file; an exclusive file lock serialises refreshes across processes."""

    def __init__(self, path: Path, fernet_key: str | bytes) -> None:
        self.path = path
        self._fernet = Fernet(fernet_key)
        self._threads = MemoryTokenStore()
        self._held = threading.local()

    def _read(self) -> dict[str, Any]:
        if not self.path.exists() or self.path.stat().st_size == 0:
            return {}
        return json.loads(self._fernet.decrypt(self.path.read_bytes()))

    def load(self, key: str) -> TokenSet | None:
        entry = self._read().get(key)
        return TokenSet(**entry) if entry else None

    def save(self, key: str, tokens: TokenSet) -> None:
        with self._file_lock():
            data = self._read()
            data[key] = asdict(tokens)
            temporary = self.path.with_suffix(".tmp")
            temporary.write_bytes(self._fernet.encrypt(json.dumps(data).encode()))
            temporary.replace(self.path)

    @contextmanager
    def _file_lock(self) -> Iterator[None]:
        """Exclusive across processes; re-entrant within a thread (`save` inside `lock`)."""
        if getattr(self._held, "depth", 0):
            self._held.depth += 1
            try:
                yield
            finally:
                self._held.depth -= 1
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            self._held.depth = 1
            try:
                yield
            finally:
                self._held.depth = 0
                fcntl.flock(handle, fcntl.LOCK_UN)

    @contextmanager
    def lock(self, key: str) -> Iterator[None]:
        with self._threads.lock(key), self._file_lock():
            yield
