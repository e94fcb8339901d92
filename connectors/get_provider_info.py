"""Airflow provider metadata, found through the `apache_airflow_provider` entry point."""

from __future__ import annotations

from typing import Any

from connectors import __version__


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": "eshopbox-integrations",
        "name": "Eshopbox integrations",
        "description": "Apps, workflows and webhooks connecting Eshopbox with carts, marketplaces, couriers and ERPs.",
        "versions": [__version__],
    }
