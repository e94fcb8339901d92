"""The Ginesys (Browntape) simulator's state (`SandboxState.ginesys`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connectors.sandbox.throttling import Throttle


@dataclass
class GinesysData:
    warehouses: dict[str, dict[str, Any]] = field(default_factory=dict)  # warehouse id -> Warehouse
    stock: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (sku, warehouse id) -> closing stock
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)  # Browntape order id -> order as received
    references: dict[tuple[str, str], str] = field(default_factory=dict)  # (channel_id, order_reference) -> order id
    next_id: int = 3_807_100
    calls: int = 0
    throttle: Throttle = field(default_factory=Throttle)
