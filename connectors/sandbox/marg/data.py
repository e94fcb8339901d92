"""The Marg ERP simulator's state (`SandboxState.marg`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from connectors.sandbox.throttling import Throttle


@dataclass
class MargData:
    products: dict[str, dict[str, Any]] = field(default_factory=dict)  # item code -> pro_N row
    changed_at: dict[str, dt.datetime] = field(default_factory=dict)  # item code -> last change (IST, naive)
    order_lines: list[dict[str, Any]] = field(default_factory=list)  # InsertOrderDetail bodies, as received
    orders: dict[str, str] = field(default_factory=dict)  # OrderID -> OrderNo Marg gave it
    next_rid: int = 20170110
    calls: int = 0
    throttle: Throttle = field(default_factory=Throttle)  # calls per company, 429s per company
