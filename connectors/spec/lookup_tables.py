"""Lookup tables: one app's codes turned into another's (ClickPost status 8 → Eshopbox `DELIVERED`), declared as data.

The name and behaviour follow Zapier's Formatter "Lookup table": rows of key → value and a fallback for a key with
no row. A workflow declares them under `lookup_tables:`; its templates read one as `tables.<name>` and look a key up
with the `lookup` filter:

    lookup_tables:
      eshopbox_status:
        keys: trigger.clickpost_status_code   # a trigger output declaring `choices`: a row for each, or a fallback
        values: steps.status.status           # a step input declaring `choices`: every value is one of them
        rows: {8: DELIVERED, 9: FAILED_DELIVERY, 12: RTO}
    ...
    status: "{{ trigger.clickpost_status_code | lookup(tables.eshopbox_status) }}"

Keys are compared as text (`8` and `"8"` are the same row). A key with no row and no fallback fails the step with
the table's name and the key: the same event fails the same way every time, so it is never retried.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from connectors.spec.base import SpecModel

NO_FALLBACK = "__no_fallback__"


class LookupTableSpec(SpecModel):
    """Rows of key → value, with an optional fallback; `keys`/`values` name the vocabularies checked at apply."""

    rows: dict[str, Any] = Field(min_length=1, description="Key → value. Keys are compared as text.")
    fallback: Any = Field(
        default=NO_FALLBACK,
        description="The value for a key with no row (null is a value). Without it such a key fails the step.",
    )
    keys: str | None = Field(
        default=None,
        description="`trigger.<field>`: the trigger output (declaring `choices`) the keys come from. Every choice "
        "needs a row unless there is a fallback, and every row's key must be one of them.",
        examples=["trigger.clickpost_status_code"],
    )
    values: str | None = Field(
        default=None,
        description="`steps.<step>.<input>`: the step input (declaring `choices`) the values go to. Every row's "
        "value and the fallback must be one of them.",
        examples=["steps.status.status"],
    )

    @field_validator("rows", mode="before")
    @classmethod
    def _keys_as_text(cls, rows: Any) -> Any:
        if isinstance(rows, dict):
            return {_as_key(key): value for key, value in rows.items()}
        return rows

    @property
    def has_fallback(self) -> bool:
        return not (isinstance(self.fallback, str) and self.fallback == NO_FALLBACK)

    def as_template_value(self, name: str) -> dict[str, Any]:
        """What templates see as `tables.<name>`: the `lookup` filter's argument."""
        return {"name": name, "rows": dict(self.rows), "has_fallback": self.has_fallback, "fallback": self.fallback}


def _as_key(key: Any) -> str:
    if isinstance(key, bool):
        return str(key).lower()
    if isinstance(key, float) and key.is_integer():
        return str(int(key))
    return str(key)


def lookup(key: Any, table: Any) -> Any:
    """The `lookup` template filter: `{{ trigger.code | lookup(tables.eshopbox_status) }}`."""
    if not isinstance(table, dict) or "rows" not in table:
        raise ValueError("lookup needs a lookup table as its argument, e.g. lookup(tables.<name>)")
    rows = table["rows"]
    found = rows.get(_as_key(key), NO_FALLBACK)
    if not (isinstance(found, str) and found == NO_FALLBACK):
        return found
    if table["has_fallback"]:
        return table["fallback"]
    known = ", ".join(list(rows)[:20]) + (", …" if len(rows) > 20 else "")
    raise ValueError(f"lookup table '{table['name']}' has no row for {key!r} and no fallback (rows: {known})")
