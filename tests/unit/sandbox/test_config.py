"""Sandbox settings (`connectors.sandbox.config`): rate limits default to what the vendors document."""

from __future__ import annotations

from connectors.sandbox.config import SandboxConfig


def test_rate_limits_default_to_the_vendors_documented_figures() -> None:
    config = SandboxConfig.from_env(environ={})
    assert (config.shopify.bucket_size, config.shopify.leak_rate) == (40, 2.0)
    assert (config.delhivery.tracking_rate_limit, config.delhivery.tracking_rate_window) == (750, 300.0)
    assert (config.eshopbox.token_rate_limit, config.eshopbox.token_rate_window) == (10, 60.0)
    assert config.eshopbox.api_requests_per_second is None  # undocumented by Eshopbox: off


def test_rate_limits_are_set_and_switched_off_from_the_environment() -> None:
    environ = {
        "SANDBOX_ESHOPBOX_API_REQUESTS_PER_SECOND": "10",
        "SANDBOX_ESHOPBOX_API_BURST": "20",
        "SANDBOX_DELHIVERY_TRACKING_RATE_LIMIT": "off",
        "SANDBOX_SHOPIFY_LEAK_RATE": "20",
    }
    config = SandboxConfig.from_env(environ=environ)
    assert (config.eshopbox.api_requests_per_second, config.eshopbox.api_burst) == (10.0, 20)
    assert config.delhivery.tracking_rate_limit is None
    assert config.shopify.leak_rate == 20.0
    overridden = SandboxConfig.from_env(environ=environ, delhivery={"tracking_rate_limit": 5})
    assert overridden.delhivery.tracking_rate_limit == 5
