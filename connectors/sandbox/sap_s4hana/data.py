"""What the SAP S/4HANA simulator keeps: sales orders (items inside), outbound deliveries (items inside), the
logon sessions with their CSRF tokens, and the request-rate limit. `connectors.sandbox.state` holds one
`SapS4hanaData` and resets it with the rest.

Records are stored with Python values (datetimes, not `/Date(...)/` text); `entities.py` writes them out as OData v2
JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connectors.sandbox.throttling import Throttle


@dataclass
class Session:
    """One logon session (the `SAP_SESSIONID_<SID>_<client>` cookie) and the CSRF token bound to it."""

    user: str
    csrf_token: str
    expires_at: float  # epoch seconds; every request of the session pushes it on (idle timeout)


@dataclass
class SapS4hanaData:
    sales_orders: dict[str, dict[str, Any]] = field(default_factory=dict)  # SalesOrder -> header, to_Item inside
    deliveries: dict[str, dict[str, Any]] = field(default_factory=dict)  # DeliveryDocument -> header, items inside
    access_tokens: dict[str, float] = field(default_factory=dict)  # OAuth access token -> expiry (epoch seconds)
    token_calls: int = 0  # POST /sap/bc/sec/oauth2/token
    sessions: dict[str, Session] = field(default_factory=dict)  # session cookie value -> session
    csrf_fetches: int = 0  # GETs with x-csrf-token: Fetch
    csrf_refusals: int = 0  # writes answered 403 x-csrf-token: Required
    goods_issues: list[str] = field(default_factory=list)  # DeliveryDocument of each PostGoodsIssue applied
    next_sales_order: int = 4000001
    next_delivery: int = 80000000
    throttle: Throttle = field(default_factory=Throttle)  # API per user, 429s per user
