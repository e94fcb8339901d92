"""The Shiprocket simulator's state (`SandboxState.shiprocket`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connectors.sandbox.throttling import Throttle


@dataclass
class ShiprocketData:
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)  # Shiprocket order id -> order
    shipments: dict[int, dict[str, Any]] = field(default_factory=dict)  # shipment id -> shipment (scans inside)
    channel_order_ids: dict[str, int] = field(default_factory=dict)  # order_id as sent (cancelled too) -> order id
    tokens: dict[str, float] = field(default_factory=dict)  # JWT -> expiry (epoch seconds)
    webhook: dict[str, Any] = field(default_factory=dict)  # {url, token}
    refused_duplicates: dict[str, int] = field(default_factory=dict)  # order_id -> creates refused with 422
    login_calls: int = 0
    next_id: int = 0
    throttle: Throttle = field(default_factory=Throttle)  # API calls per API user, 429s per user
