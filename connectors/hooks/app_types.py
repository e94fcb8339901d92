"""One hook class per app, so each app's connection type (`integrations_<app>`) names a hook of its own type.

Generated from the catalog when imported: `ShopifyAppHook`, `EshopboxAppHook`, ...
"""

from __future__ import annotations

from connectors.get_provider_info import connection_type, hook_class_name
from connectors.hooks.app import AppHook
from connectors.spec import Catalog


def _generate() -> dict[str, type[AppHook]]:
    classes: dict[str, type[AppHook]] = {}
    every = Catalog.load()  # every app has a connection type, so every definition is read here
    for key in every.apps:
        spec = every.get(key)
        attributes = {"conn_type": connection_type(key), "hook_name": f"{spec.app.name} (integrations)", "app_key": key}
        classes[hook_class_name(key)] = type(hook_class_name(key), (AppHook,), attributes)
    return classes


globals().update(_generate())
