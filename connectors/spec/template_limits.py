"""Limits that keep one template from exhausting a worker's memory or time.

Jinja's sandbox bounds `range` but not arithmetic: `{{ 'a' * 10**10 }}` would allocate 10 GB and `{{ 2 ** 10**10 }}`
would compute for hours. The sandboxed environment routes `*` and `**` through `check_binop`, which refuses such
results before they are computed (as OverflowError, which rendering reports as a template error).
"""

from __future__ import annotations

import math
from typing import Any

MAX_RENDERED_LENGTH = 1024 * 1024
"""Characters one template may render (1 MiB of ASCII): a URL, a header or a body field, never more."""

MAX_INTEGER_BITS = 16_384
"""Bits of an integer arithmetic may produce; Python itself will not print an integer of more than 4,300 digits
(about 14,300 bits)."""

GUARDED_OPERATORS = frozenset({"*", "**"})


def check_binop(operator: str, left: Any, right: Any) -> None:
    """Raise OverflowError when `left <operator> right` would be larger than the limits allow."""
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
