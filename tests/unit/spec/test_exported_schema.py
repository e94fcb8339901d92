"""The JSON Schema shipped for editors is the one the models produce."""

import json
from pathlib import Path

from connectors.spec.schema import app_version_schema

EXPORTED = Path(__file__).resolve().parents[3] / "include" / "schemas" / "app-version.schema.json"


def test_exported_schema_is_up_to_date() -> None:
    assert json.loads(EXPORTED.read_text()) == app_version_schema(), (
        "run: integrations apps schema -o include/schemas/app-version.schema.json"
    )
