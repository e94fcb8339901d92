"""The SAP Business One sandbox's state: documents, items, business partners and Service Layer sessions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connectors.sandbox.throttling import Throttle


@dataclass
class SapBusinessOneData:
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)  # DocEntry -> sales order (ORDR)
    delivery_notes: dict[int, dict[str, Any]] = field(default_factory=dict)  # DocEntry -> delivery (ODLN)
    items: dict[str, dict[str, Any]] = field(default_factory=dict)  # ItemCode -> item with ItemWarehouseInfoCollection
    business_partners: dict[str, dict[str, Any]] = field(default_factory=dict)  # CardCode -> partner
    sessions: dict[str, float] = field(default_factory=dict)  # B1SESSION -> last use, on the sessions' clock
    clock_offset: float = 0.0  # seconds added to the sessions' clock (`/_sandbox/clock/advance`)
    logins: int = 0  # successful logins
    failed_logins: int = 0
    logouts: int = 0
    route_ids: dict[str, int] = field(default_factory=dict)  # ROUTEID sent with authenticated calls -> count
    next_entry: dict[str, int] = field(default_factory=dict)  # object type -> last DocEntry (and DocNum)
    throttle: Throttle = field(default_factory=Throttle)  # per client address when a limit is configured
