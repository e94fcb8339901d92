"""Without a Fernet key, apps that obtain tokens fail loudly, saying why; static credentials still work."""

from __future__ import annotations

import pytest

from connectors.hooks import app as app_hooks
from connectors.registry.tokens import DatabaseTokenStore
from connectors.runtime.errors import ConfigurationError


@pytest.fixture
def no_fernet_key(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AIRFLOW__CORE__FERNET_KEY", "")
    app_hooks.token_store.cache_clear()
    yield
    app_hooks.token_store.cache_clear()


@pytest.mark.usefixtures("no_fernet_key")
def test_without_a_fernet_key_obtained_tokens_are_refused_not_silently_lost() -> None:
    store = app_hooks.token_store()
    with pytest.raises(ConfigurationError, match=r"no Fernet key: set \[core\] fernet_key"):
        store.load("eshopbox@1.0.0:demo_eshopbox")
    with pytest.raises(ConfigurationError):
        store.lock("eshopbox@1.0.0:demo_eshopbox")


def test_with_a_key_list_the_store_is_the_registrys(sqlite_registry: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from cryptography.fernet import Fernet

    keys = f"{Fernet.generate_key().decode()},{Fernet.generate_key().decode()}"
    monkeypatch.setenv("AIRFLOW__CORE__FERNET_KEY", keys)
    app_hooks.token_store.cache_clear()
    try:
        assert isinstance(app_hooks.token_store(), DatabaseTokenStore)
    finally:
        app_hooks.token_store.cache_clear()
