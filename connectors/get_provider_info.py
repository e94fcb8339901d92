"""Airflow provider metadata, found through the `apache_airflow_provider` entry point.

Each app in the catalog gets a connection type `integrations_<app>` whose form shows the app's credential fields
(secrets as password fields) and custom properties, from the newest version of the app.
"""

from __future__ import annotations

from typing import Any

from connectors import __version__

HIDDEN_FIELDS = ["host", "schema", "port", "login", "password", "extra"]
INTEGRATION = "Eshopbox integrations"

# What a DAG author imports, by kind; Airflow's Providers page lists them (docs/provider.md). Add a module to its
# kind's list; a kind with no module yet stays out of the metadata.
PYTHON_MODULES: dict[str, list[str]] = {
    "operators": ["connectors.operators.app_operators"],
    "sensors": ["connectors.operators.sensors"],
    "triggers": ["connectors.operators.triggers"],
    "hooks": ["connectors.hooks.app", "connectors.hooks.app_types"],
}


def connection_type(app_key: str) -> str:
    return f"integrations_{app_key}"


def hook_class_name(app_key: str) -> str:
    """The hook class of an app's connection type, generated in `connectors.hooks.app_types`."""
    return "".join(part.capitalize() for part in app_key.split("_")) + "AppHook"


def _field(label: str | None, name: str, secret: bool, help_text: str | None, kind: str = "string") -> dict[str, Any]:
    schema: dict[str, Any] = {"type": ["integer", "null"] if kind == "integer" else ["string", "null"]}
    if secret:
        schema["format"] = "password"
    return {"label": label or name.replace("_", " ").capitalize(), "description": help_text or "", "schema": schema}


def connection_types() -> list[dict[str, Any]]:
    from connectors.spec import Catalog  # no Airflow import here: Airflow calls this while it starts

    types = []
    catalog = Catalog.load()
    for key in sorted(catalog.apps):
        spec = catalog.get(key)
        fields = {name: _field(f.label, name, f.secret, f.help) for name, f in spec.auth.credential_fields().items()}
        for name, prop in spec.properties.items():
            kind = "integer" if prop.type == "integer" else "string"
            fields[name] = _field(prop.label, name, prop.type == "secret", prop.help, kind)
        types.append(
            {
                "connection-type": connection_type(key),
                "hook-class-name": f"connectors.hooks.app_types.{hook_class_name(key)}",
                "hook-name": f"{spec.app.name} (integrations)",
                "ui-field-behaviour": {"hidden-fields": HIDDEN_FIELDS},
                "conn-fields": fields,
            }
        )
    return types


def get_provider_info() -> dict[str, Any]:
    modules = {
        kind: [{"integration-name": INTEGRATION, "python-modules": list(names)}]
        for kind, names in PYTHON_MODULES.items()
        if names
    }
    return {
        "package-name": "eshopbox-integrations",
        "name": INTEGRATION,
        "description": "Apps, workflows and webhooks connecting Eshopbox with carts, marketplaces, couriers and ERPs.",
        "versions": [__version__],
        "integrations": [{"integration-name": INTEGRATION, "tags": ["service"]}],
        **modules,
        "connection-types": connection_types(),
    }
