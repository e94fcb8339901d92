"""Mounts the studio's pages (connectors.studio) at `/studio` of the receiver app, behind the management API's read
access: a logged-in Airflow user allowed to read DAGs. A browser without a login is sent to Airflow's login page
and comes back. Built at the first request, as the other management routes are."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from connectors.studio import STUDIO_PATH, studio_app
from connectors.webhooks.management import _BuiltOnFirstRequest, ensure_auth_manager
from connectors.webhooks.management_api import access_guards


def airflow_login_url(next_url: str) -> str:
    from airflow.api_fastapi.app import get_auth_manager

    ensure_auth_manager()
    return get_auth_manager().get_url_login(next_url=next_url)


def add_studio(app: FastAPI, access: Callable[..., Any] | None) -> None:
    login = None if access is not None else airflow_login_url
    app.mount(STUDIO_PATH, _BuiltOnFirstRequest(lambda: studio_app(access_guards(access)["read"], login)))
