"""A value fetched before the requests that need it, reused until the app asks again (`auth.pre_request`).

SAP S/4HANA's OData services refuse a write without a CSRF token: the client first sends a GET with
`x-csrf-token: Fetch` (authenticated as usual), reads the token from the answer's `x-csrf-token` header, and sends it
on every modifying request together with the session cookies that answer set. When the token expires, a write is
answered 403 with `x-csrf-token: Required`: the token is fetched again and the write sent once more.

The value lives in this auth object, next to the HTTP session whose cookie jar holds the cookies it is bound to: a
new client (another task, another process) fetches its own. Nothing is stored.
"""

from __future__ import annotations

import threading
from typing import Any

import requests

from connectors.runtime.auth.base import AppAuth
from connectors.runtime.auth.renewing import raise_for_token_response
from connectors.runtime.auth.session import read_source
from connectors.runtime.errors import AuthExpiredError
from connectors.runtime.http.request import render_request
from connectors.runtime.redaction import register_secret
from connectors.runtime.templating import render_text
from connectors.spec.auth import PreRequestSpec


class PreRequestAuth(AppAuth):
    """Wraps the connection's own auth: applies it to every request, and adds the pre-request's headers to the
    requests that need them."""

    def __init__(self, inner: AppAuth, spec: PreRequestSpec) -> None:
        super().__init__(inner.context)
        self.inner, self.spec = inner, spec
        self._value: str | None = None
        self._asked_again = False
        self._cookies: requests.cookies.RequestsCookieJar | None = None
        self._lock = threading.Lock()

    def template_context(self, with_obtained: bool = True) -> dict[str, Any]:
        context = self.inner.template_context(with_obtained)
        if with_obtained and self._value is not None:
            context = {**context, "auth": {**context["auth"], self.spec.name: self._value}}
        return context

    def obtained(self) -> dict[str, Any]:
        return self.inner.obtained()

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request = self.inner(request)
        if request.method in self.spec.methods:
            fetched_now = self._value is None
            value = self._current()
            if fetched_now:  # requests set this request's cookies before asking its auth: add the fetch's own
                _add_cookies(request, self._cookies)
            context = self.inner.template_context()
            context = {**context, "auth": {**context["auth"], self.spec.name: value}}
            for name, template in self.spec.headers.items():
                request.headers[name] = render_text(template, context)
        return request

    def signals_expiry(self, response: requests.Response) -> bool:
        method = response.request.method if response.request is not None else None
        if method in self.spec.methods and self.spec.again.matches(response.status_code, response.headers):
            self._asked_again = True
            return True
        return self.inner.signals_expiry(response)

    def renew(self) -> None:
        if self._asked_again:
            self._asked_again = False
            self._value = None
            self._current()
            return
        self.inner.renew()
        self._value = None  # bound to the session the renewed credentials replace

    def _current(self) -> str:
        with self._lock:
            if self._value is None:
                self._value = self._fetch()
            return self._value

    def _fetch(self) -> str:
        request = render_request(self.spec.request, self.inner.template_context(), self.context.base_url)
        response = self.outbound_send()(request.method, request.url, auth=self.inner, **request.as_kwargs())
        raise_for_token_response(response, "pre-request", request.method, request.url)
        value = read_source(response, self.spec.value)
        if not value:
            source = self.spec.value
            raise AuthExpiredError(
                f"pre-request answered but no value at {source.from_} '{source.path}'",
                method=request.method,
                url=request.url,
                status=response.status_code,
            )
        register_secret(str(value), *(cookie.value for cookie in response.cookies))
        self._cookies = response.cookies
        return str(value)


def _add_cookies(request: requests.PreparedRequest, jar: requests.cookies.RequestsCookieJar | None) -> None:
    """Cookies of `jar` that the request does not carry yet, added to its Cookie header."""
    if not jar:
        return
    header = request.headers.get("Cookie", "")
    present = {part.split("=", 1)[0].strip() for part in header.split(";") if "=" in part}
    added = [f"{cookie.name}={cookie.value}" for cookie in jar if cookie.name not in present]
    if added:
        request.headers["Cookie"] = "; ".join(([header] if header else []) + added)
