"""Calls the Shopify tests share."""

from __future__ import annotations

from typing import Any

from tests.unit.sandbox.fixtures import Sandbox


def new_order(sandbox: Sandbox, **spec: Any) -> dict[str, Any]:
    """An order created the way a shopper would (control API), with its fulfillment order and deliveries."""
    return sandbox.control("shopify", "/orders", spec)
