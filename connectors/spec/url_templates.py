"""How values rendered into a request's `url` become path text.

Every `{{ … }}` of a request `url` that reads anything but `properties` and `env` renders percent-encoded as one
path segment (`url_segment`): a `/`, `?`, `#` or `..` in an order id stays part of the id and cannot change which
endpoint, or which host, the request reaches. Expressions over `properties` and `env` only are the app's own
configuration (a base URL such as `{{ env.PLATFORM_BASE_URL }}`) and are left as they are. A template that really
takes a path ends with `| path`, which keeps `/` but refuses what would leave the path: `..` segments, a query or
fragment, a backslash, an absolute or scheme-relative URL.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, unquote

from jinja2 import nodes

SEGMENT_FILTER = "url_segment"
PATH_FILTER = "path"
CONFIGURATION_NAMESPACES = frozenset({"properties", "env"})

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_PATH_SAFE = "/%:@!$&'()*+,;=~"  # RFC 3986 pchar and '/', and '%' so that escapes already in the path stay


def url_segment(value: Any) -> str:
    """`value` as one path segment: every reserved character, `/` included, is percent-encoded."""
    return quote(str(value), safe="")


def url_path(value: Any) -> str:
    """`value` as a relative path (`/` kept); raises ValueError for anything that could leave it."""
    text = str(value)
    problem = _path_problem(text)
    if problem:
        raise ValueError(f"{text!r} is not a path: {problem}")
    return quote(text, safe=_PATH_SAFE)


def _path_problem(text: str) -> str | None:
    decoded = unquote(text)  # servers that decode `%2e%2e` or `%5c` before routing would climb with them
    if any(mark in text for mark in "?#"):
        return "it has a query or fragment ('?' or '#')"
    if "\\" in decoded:
        return "it has a backslash"
    if text.startswith("//"):
        return "it starts with '//', which names a host"
    if _SCHEME.match(text):
        return "it is an absolute URL"
    if ".." in decoded.split("/"):
        return "it has a '..' segment"
    return None


def encode_url_expressions(tree: nodes.Template) -> nodes.Template:
    """Pass every output expression of a parsed `url` template through `url_segment`, unless it ends with
    `| path` (or `| url_segment` already) or reads only `properties` and `env`. Changes `tree` in place."""
    for output in tree.find_all(nodes.Output):
        output.nodes = [_as_segment(node) for node in output.nodes]
    return tree


def _as_segment(node: nodes.Expr) -> nodes.Expr:
    if isinstance(node, nodes.TemplateData):
        return node
    if isinstance(node, nodes.Filter) and node.name in (PATH_FILTER, SEGMENT_FILTER):
        return node
    names = {name.name for name in (node, *node.find_all(nodes.Name)) if isinstance(name, nodes.Name)}
    if names <= CONFIGURATION_NAMESPACES:
        return node
    return nodes.Filter(node, SEGMENT_FILTER, [], [], None, None, lineno=node.lineno)
