"""A host-wide lock on a file (fcntl), so several api-server worker processes dispatch as one."""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from typing import IO


class HostLock:
    """Byte 0 serialises trigger calls across processes; byte 1 elects the one process that sweeps."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self._file: IO[bytes] | None = None
        self.leader = False

    def _handle(self) -> IO[bytes]:
        if self._file is None:
            assert self.path is not None
            self._file = open(self.path, "ab")  # noqa: SIM115 - held for the life of the dispatcher
        return self._file

    @contextlib.contextmanager
    def serial(self) -> Iterator[None]:
        """Hold the lock while one trigger call runs (blocks while another process triggers)."""
        if self.path is None:
            yield
            return
        handle = self._handle()
        fcntl.lockf(handle, fcntl.LOCK_EX, 1, 0)
        try:
            yield
        finally:
            fcntl.lockf(handle, fcntl.LOCK_UN, 1, 0)

    def sweeper(self) -> bool:
        """Whether this process sweeps: the first to take byte 1 keeps it until it exits."""
        if self.path is None or self.leader:
            self.leader = True
            return True
        try:
            fcntl.lockf(self._handle(), fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 1)
        except OSError:
            return False
        self.leader = True
        return True

    def close(self) -> None:
        if self._file is not None:
            self._file.close()  # releases both locks
            self._file = None
