"""Fixtures of the runtime tests."""

from tests.unit.runtime.scripted_server import scripted_server

__all__ = ["scripted_server"]
