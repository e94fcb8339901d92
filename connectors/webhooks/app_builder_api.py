"""The app builder's routes in the management API: save a draft as a new app version into the user's apps folder
(`INTEGRATIONS_APPS_PATH`), and try one of a draft's requests against an Airflow connection. Both need DAG edit
access: a save changes what workflows can use, a try sends a request with a client's credentials."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, Literal

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from connectors.runtime.http.client import AppClient
from connectors.services import ServiceError
from connectors.services.app_builder import save_app_version
from connectors.services.app_trial import TrialResult, try_request
from connectors.spec import AppDefinitionError, AppVersionSpec

if TYPE_CHECKING:
    from connectors.webhooks.receiver import Receiver


class AppVersionText(BaseModel):
    yaml: str = Field(description="The app version as YAML text; saved exactly as sent, comments included.")


class SavedAnswer(BaseModel):
    ref: str = Field(description="APP@VERSION of the saved version.")
    path: str = Field(description="Its file, relative to the apps folder: `<app key>/<version>.yaml`.")
    created: bool = Field(description="False when the same text was saved before (nothing written).")


class TrialRequest(BaseModel):
    """A draft (`yaml` or `definition`) and which of its requests to send, with what, through which connection."""

    yaml: str | None = Field(default=None, description="The draft as YAML text (problems then carry lines).")
    definition: dict[str, Any] | None = Field(default=None, description="The draft as an object.")
    kind: Literal["action", "search", "trigger"] = Field(description="An action, a search, or a polling trigger.")
    key: str = Field(description="Its key in the draft, e.g. `create_order`.")
    inputs: dict[str, Any] = Field(
        default_factory=dict, description="The action's or search's inputs; a polling trigger's `params`."
    )
    connection_id: str = Field(description="The Airflow connection whose credentials and properties are used.")


def airflow_client(spec: AppVersionSpec, connection_id: str) -> AppClient:
    """The client `AppHook` builds for a task, for an app version not in the catalog."""
    from airflow.exceptions import AirflowNotFoundException

    from connectors.hooks.app import AppHook

    try:
        return AppHook(conn_id=connection_id, spec=spec).get_client()
    except AirflowNotFoundException:
        raise ServiceError(f"no Airflow connection '{connection_id}' exists", "not_found") from None


def add_app_builder_routes(api: FastAPI, guards: dict[str, list[Any]], receiver: Receiver) -> None:
    """`POST /apps` and `POST /apps/try` on the management API."""
    from connectors.webhooks.management_api import ErrorAnswer

    def error(description: str) -> dict[str, Any]:
        return {"model": ErrorAnswer, "description": description}

    @api.post(
        "/apps",
        tags=["apps"],
        dependencies=guards["edit"],
        status_code=201,
        responses={
            200: {"model": SavedAnswer, "description": "Unchanged: the same text was saved before"},
            409: error("The version exists with other content: app versions are immutable, bump the version"),
            422: error("Invalid: `problems` lists each with its path and line"),
            503: error("No apps folder to save into: set INTEGRATIONS_APPS_PATH"),
        },
    )
    def save_app(draft: AppVersionText) -> Any:
        """Save a draft app version as a new version into the first folder of `INTEGRATIONS_APPS_PATH`, at
        `<app key>/<version>.yaml`, exactly as sent: 201 created; 200 when the same text is there already. The draft
        is validated as `POST /apps/validate` does (422 with every problem and its line); a version that exists with
        other content is refused (409: versions are immutable, give it a new one). The catalog is read again, so the
        version is listed by `GET /apps` at once and workflows can use it."""
        saved = save_app_version(draft.yaml, receiver.catalog())
        if saved.created:
            with contextlib.suppress(AppDefinitionError):  # another file broke meanwhile: saved all the same
                receiver.reload_catalog()
        answer = SavedAnswer(ref=saved.ref, path=saved.path, created=saved.created)
        return JSONResponse(answer.model_dump(mode="json"), status_code=201 if saved.created else 200)

    @api.post(
        "/apps/try",
        tags=["apps"],
        dependencies=guards["edit"] + guards["connections"],
        responses={404: error("No such connection"), 422: error("Invalid draft, key, inputs or connection type")},
    )
    def try_app_request(trial: TrialRequest) -> TrialResult:
        """Send one request of a draft app version — an action's, a search's (only its own request: no
        `search_first`), or a polling trigger's first page over the last hour — with the credentials and properties
        of an Airflow connection, through the same client as a workflow (auth, rate limit, redaction) but once,
        without retries. Answers what was sent (`request`: method, URL, query, headers, body; never the auth), the
        `status`, `duration_ms`, the `response` (headers except cookies and credentials, the body's first 8 KB) and
        the runtime's classified `error` (e.g. `AuthExpiredError` for refused credentials, `RateLimitedError` with
        `retry_after`). Every credential of the connection is masked. It lends a connection's credentials to a
        draft, so it needs connection edit access besides DAG edit access; the connection must be of the draft
        app's own type, and a draft of an app in the catalog must call that app's hosts (else 422); no such
        connection: 404."""
        from connectors.hooks.connection_types import AirflowConnectionTypes

        return try_request(
            trial.yaml, trial.definition, trial.kind, trial.key, trial.inputs, trial.connection_id,
            airflow_client, AirflowConnectionTypes(), receiver.catalog(),
        )  # fmt: skip


__all__ = ["add_app_builder_routes", "airflow_client"]
