"""Clock and timestamp formats the simulators share, so each vendor can answer in its own format from one clock."""

from __future__ import annotations

import datetime as dt
from typing import Any

UTC = dt.UTC


def now() -> dt.datetime:
    return dt.datetime.now(UTC)


def parse_offset(text: str) -> dt.timezone:
    """`+05:30` -> a fixed-offset zone (Shopify answers in the shop's zone)."""
    sign = -1 if text.startswith("-") else 1
    hours, _, minutes = text.lstrip("+-").partition(":")
    return dt.timezone(sign * dt.timedelta(hours=int(hours), minutes=int(minutes or 0)))


def parse_time(value: Any, default_tz: dt.tzinfo = UTC) -> dt.datetime:
    """ISO-8601 (with `Z`, an offset or none) or `YYYY-MM-DD HH:MM:SS`; naive values are in `default_tz`."""
    if isinstance(value, dt.datetime):
        moment = value
    else:
        text = str(value).strip()
        if not text:
            raise ValueError("empty timestamp")
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1))
    return moment if moment.tzinfo else moment.replace(tzinfo=default_tz)


def iso_z(moment: dt.datetime) -> str:
    """`2024-10-03T04:30:00.123Z` (what JavaScript backends such as Eshopbox's send)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
