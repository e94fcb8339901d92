"""JSON Schema of the app-definition language, for editors and external validators."""

from __future__ import annotations

import json
from typing import Any

from connectors.spec.app_version import AppVersionSpec


def app_version_schema() -> dict[str, Any]:
    schema = AppVersionSpec.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "App version definition"
    return schema


def app_version_schema_json() -> str:
    return json.dumps(app_version_schema(), indent=2, sort_keys=True) + "\n"
