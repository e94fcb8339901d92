"""The ClickPost simulator's state (`SandboxState.clickpost`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connectors.sandbox.throttling import Throttle


@dataclass
class ClickPostData:
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)  # reference_number -> order placed
    awbs: dict[tuple[int, str], dict[str, Any]] = field(default_factory=dict)  # (cp_id, waybill) -> tracking
    webhook: dict[str, Any] = field(default_factory=dict)  # {url, key, mode: all|selected, events}
    replays: dict[str, int] = field(default_factory=dict)  # reference_number -> creates answered 323
    next_id: int = 0
    throttle: Throttle = field(default_factory=Throttle)  # API calls per key, 429s per key
