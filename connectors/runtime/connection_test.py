"""Proving a connection's credentials with the request its app version declares (`auth.test`)."""

from __future__ import annotations

from dataclasses import dataclass

from connectors.runtime.errors import IntegrationError
from connectors.runtime.http.client import AppClient
from connectors.runtime.http.request import render_request, response_body
from connectors.runtime.redaction import secrets
from connectors.runtime.templating import TemplateError, render_text


@dataclass(frozen=True)
class ConnectionTest:
    """Whether the credentials work, and what to tell the user: the account's label, or why not."""

    ok: bool
    message: str


def prove_credentials(client: AppClient) -> ConnectionTest:
    """Send the app's test request with the connection's credentials (obtaining a token or session first, as any
    request does). Errors come back as text with every known secret masked."""
    test = client.spec.auth.test
    if test is None:
        return ConnectionTest(False, f"{client.spec.ref} declares no `auth.test` request to prove credentials")
    try:
        request = render_request(test.request, client.template_context(), client.base_url, client.graphql_url)
        response = client.send(request)
    except (IntegrationError, TemplateError) as exc:
        return ConnectionTest(False, secrets.redact(f"{type(exc).__name__}: {exc}"))
    label = None
    if test.label:
        try:
            label = render_text(test.label, {"response": response_body(response)})
        except TemplateError:
            label = None
    account = f" as {label}" if label else ""
    return ConnectionTest(True, secrets.redact(f"Connected to {client.spec.app.name}{account}."))
