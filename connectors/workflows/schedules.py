"""Which schedules a polling workflow may have: a cron expression or one of Airflow's presets."""

from __future__ import annotations

PRESETS = {"@once", "@continuous", "@hourly", "@daily", "@weekly", "@monthly", "@quarterly", "@yearly"}


def is_valid_schedule(expression: str) -> bool:
    from croniter import croniter

    return expression in PRESETS or croniter.is_valid(expression)
