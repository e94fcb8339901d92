"""What a deprecated app version tells its users, and whether its sunset has passed.

It lives in spec, beside the `deprecation` block it reads, because every layer above needs the same words:
the Airflow hook warns (or fails past sunset) when a task builds a client, the workflows package refuses a
deprecated version for a new workflow, and the command line reports usage.
"""

from __future__ import annotations

import datetime as dt

from connectors.spec.app_version import AppVersionSpec


def deprecation_notice(app: AppVersionSpec, today: dt.date | None = None) -> tuple[str, bool] | None:
    """(message, past sunset) for a deprecated version; None for an active one."""
    if app.deprecation is None:
        return None
    today = today or dt.datetime.now(dt.UTC).date()
    ended = today >= app.deprecation.sunset
    replacement = f"; use {app.app.key}@{app.deprecation.replacement}" if app.deprecation.replacement else ""
    reason = f" ({app.deprecation.reason})" if app.deprecation.reason else ""
    when = "was sunset on" if ended else "is deprecated and is sunset on"
    return f"{app.ref} {when} {app.deprecation.sunset}{reason}{replacement}", ended
