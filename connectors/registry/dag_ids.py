"""A workflow's DAG id: `wf.<client>.<key>`. The one place that builds and parses it.

Client and workflow keys are `[a-z][a-z0-9_]*`, so a dot cannot occur inside either: the id is unambiguous (with
`__` as the separator, client `acme__eu` + key `orders` and client `acme` + key `eu__orders` collided).
"""

from __future__ import annotations

import re
import zlib

DAG_PREFIX = "wf."
SHARDS = 16
"""DAG files the workflows are spread over (`dags/shard_NN_of_16.py`): at 10,000 workflows each file builds about
625 DAGs, parsed in a few seconds, and a changed workflow re-parses only its own file."""
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


def shard_of(dag_id: str, shards: int = SHARDS) -> int:
    """The DAG file (0 .. shards-1) that builds this DAG: a stable hash of its id, the same in every process."""
    return zlib.crc32(dag_id.encode()) % shards


def shard_file(shard: int, shards: int = SHARDS) -> str:
    """The shard's DAG file name, relative to the DAGs folder."""
    return f"shard_{shard:02d}_of_{shards:02d}.py"


_SHARD_FILE = re.compile(r"^shard_(\d+)_of_(\d+)\.py$")


def shard_of_file(name: str) -> tuple[int, int] | None:
    """(shard, shards) of a shard file's name, or None."""
    match = _SHARD_FILE.match(name)
    if not match or not 0 <= int(match[1]) < int(match[2]):
        return None
    return int(match[1]), int(match[2])
