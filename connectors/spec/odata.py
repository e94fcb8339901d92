"""OData literals for `$filter` templates: values quoted and formatted as OData v4 and v2 want them.

    params:
      $filter: "externalDocumentNumber eq {{ inputs.order_number | odata_string }}
                and lastModifiedDateTime gt {{ window.start | odata_datetime }}"

`odata_string` quotes text and doubles the quotes inside (`O'Brien` → `'O''Brien'`), so an input cannot end the
literal and add conditions of its own. `odata_datetime` writes an instant in UTC: unquoted in v4
(`2026-03-01T10:00:00Z`, Business Central, NAV, SAP Business One v2), `datetime'2026-03-01T10:00:00'` in v2 (SAP
S/4HANA `API_SALES_ORDER_SRV`, `odata_datetime(2)`); SAP Business One's v1 Service Layer compares dates as quoted text
(`odata_date`: `'2026-03-01'`). `odata_literal` picks by the value's type: text quoted, numbers as they are,
booleans `true`/`false`, none `null`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any


def odata_string(value: Any) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _instant(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    else:
        try:
            moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO-8601 date or time") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0)


def odata_datetime(value: Any, version: int = 4) -> str:
    """An instant as an OData literal, in UTC (a time without an offset is taken as UTC)."""
    text = _instant(value).isoformat()
    if version == 4:
        return text + "Z"
    if version == 2:
        return f"datetime'{text}'"
    raise ValueError(f"OData version {version!r}: 2 or 4")


def odata_date(value: Any) -> str:
    """A date as quoted text, `'2026-03-01'` (SAP Business One's `UpdateDate ge '2026-03-01'`)."""
    return odata_string(_instant(value).date().isoformat())


def odata_literal(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return odata_string(value)


FILTERS = {
    "odata_string": odata_string,
    "odata_datetime": odata_datetime,
    "odata_date": odata_date,
    "odata_literal": odata_literal,
}
