"""A workflow's DAG id: `wf.<client>.<key>`. The one place that builds and parses it.

Client and workflow keys are `[a-z][a-z0-9_]*`, so a dot cannot occur inside either: the id is unambiguous (with
`__` as the separator, client `acme__eu` + key `orders` and client `acme` + key `eu__orders` collided).
"""

from __future__ import annotations

import re

DAG_PREFIX = "wf."
_NAME = r"[a-z][a-z0-9_]*"
_DAG_ID = re.compile(rf"^wf\.({_NAME})\.({_NAME})$")


def dag_id_for(client: str, key: str) -> str:
    for what, value in (("client", client), ("key", key)):
        if not re.fullmatch(_NAME, value):
            raise ValueError(f"workflow {what} {value!r} must match {_NAME} (lowercase letters, digits, underscores)")
    return f"{DAG_PREFIX}{client}.{key}"


def parse_dag_id(dag_id: str) -> tuple[str, str] | None:
    """(client, key) of a workflow DAG id, or None when the id is not one."""
    match = _DAG_ID.match(dag_id)
    return (match[1], match[2]) if match else None
