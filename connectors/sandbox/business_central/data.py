"""What the Business Central / NAV simulator keeps: companies (BC's by id, NAV's by name), each with its customers,
items, sales orders and posted sales shipments, plus the token and nonce bookkeeping and the request-rate limits.
`connectors.sandbox.state` holds one `BusinessCentralData` and resets it with the rest."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connectors.sandbox.throttling import Throttle


@dataclass
class Company:
    """One company's records, stored in Business Central API v2.0's shape (NAV's pages are views of them)."""

    id: str
    name: str
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)  # number -> customer
    items: dict[str, dict[str, Any]] = field(default_factory=dict)  # number -> item (inventory included)
    sales_orders: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> order, `salesOrderLines` inside
    sales_shipments: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> shipment, lines inside
    next_order_number: int = 101001
    next_shipment_number: int = 102001


@dataclass
class BusinessCentralData:
    companies: dict[str, Company] = field(default_factory=dict)  # BC online: company id -> company
    nav_companies: dict[str, Company] = field(default_factory=dict)  # NAV on-prem: company name -> company
    tokens_valid_after: float = 0.0  # access tokens issued before this (epoch seconds) are expired
    nonces_valid_after: float = 0.0  # Digest nonces issued before this are stale
    nonce_counts: dict[str, int] = field(default_factory=dict)  # nonce -> highest nc seen (replays are refused)
    token_calls: int = 0
    digest_challenges: int = 0  # 401s answered with a Digest challenge
    throttle: Throttle = field(default_factory=Throttle)  # BC API per client id, 429s per client id
