"""Limits that keep one template from exhausting a worker's memory or time.

Jinja's sandbox bounds `range` but not arithmetic: `{{ 'a' * 10**10 }}` would allocate 10 GB and `{{ 2 ** 10**10 }}`
would compute for hours. The sandboxed environment routes `*` and `**` through `check_binop`, which refuses such
results before they are computed (as OverflowError, which rendering reports as a template error).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from typing import Any

MAX_RENDERED_LENGTH = 1024 * 1024
"""Characters one template may render (1 MiB of ASCII): a URL, a header or a body field, never more."""

MAX_INTEGER_BITS = 16_384
"""Bits of an integer arithmetic may produce; Python itself will not print an integer of more than 4,300 digits
(about 14,300 bits)."""

GUARDED_OPERATORS = frozenset({"*", "**", "%"})
WIDTH_FILTERS = ("center", "indent", "wordwrap", "truncate", "filesizeformat", "round", "batch", "slice")
"""Filters whose integer arguments size their output or work: bounded by `check_call`."""


def check_binop(operator: str, left: Any, right: Any) -> None:
    """Raise OverflowError when `left <operator> right` would be larger than the limits allow."""
    if operator == "%":
        if isinstance(left, str):
            check_format_widths(left)
        return
    integers = isinstance(left, int) and isinstance(right, int)
    if operator == "*":
        _check_repeat(left, right)
        _check_repeat(right, left)
        bits = left.bit_length() + right.bit_length() if integers else 0
    else:
        bits = right * math.log2(abs(left)) if integers and right > 0 and abs(left) > 1 else 0
    if bits > MAX_INTEGER_BITS:
        raise OverflowError(f"'{operator}' would produce an integer of more than {MAX_INTEGER_BITS:,} bits")


def _check_repeat(sequence: Any, times: Any) -> None:
    if isinstance(sequence, str | bytes | list | tuple) and isinstance(times, int):
        size = len(sequence) * times
        if size > MAX_RENDERED_LENGTH:
            raise OverflowError(f"'*' would repeat a sequence to {size:,} items, more than {MAX_RENDERED_LENGTH:,}")


_NUMBERS = re.compile(r"\d+")


def check_format_widths(fmt: str) -> None:
    """A format string's widths and precisions (`%0300000000d`, `{:>300000000}`) are bounded like the output."""
    for number in _NUMBERS.findall(fmt):
        if len(number) > 7 or int(number) > MAX_RENDERED_LENGTH:
            raise OverflowError(f"format width {number} is more than {MAX_RENDERED_LENGTH:,}")


def check_call(function: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """A call's integer arguments (`'x'.ljust(n)`, `center(n)`, `indent(n)`) are bounded like the output, and so
    are the widths of a string's `format`."""
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_RENDERED_LENGTH:
            raise OverflowError(f"argument {value:,} is more than {MAX_RENDERED_LENGTH:,}")
    owner = getattr(getattr(function, "__wrapped__", function), "__self__", None)  # the sandbox wraps str.format
    if isinstance(owner, str) and getattr(function, "__name__", "") in ("format", "format_map"):
        check_format_widths(owner)


def bounded(function: Callable[..., Any], format_first: bool = False) -> Callable[..., Any]:
    """A filter whose arguments are checked by `check_call` first (and its value's widths, for `format`)."""

    @functools.wraps(function)  # keeps Jinja's pass_context/pass_environment marks
    def checked(*args: Any, **kwargs: Any) -> Any:
        check_call(function, args, kwargs)
        if format_first:
            value = next((arg for arg in args if isinstance(arg, str)), None)
            if value is not None:
                check_format_widths(value)
        return function(*args, **kwargs)

    return checked
