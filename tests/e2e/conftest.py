"""A browser test that fails leaves a screenshot of the page it saw (its path is in the failure report)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    page = getattr(item, "funcargs", {}).get("page")
    if report.when != "call" or not report.failed or page is None:
        return
    path = item.path.parent.parent.parent / ".pytest-screenshots" / f"{item.name}.png"
    try:
        path.parent.mkdir(exist_ok=True)
        page.screenshot(path=path)
    except Exception as exc:  # the browser may be what failed
        report.sections.append(("screenshot", f"none: {exc}"))
        return
    report.sections.append(("screenshot", str(path)))
