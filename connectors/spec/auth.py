"""Auth blocks: how the platform proves itself to an app. One model per `type`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import Field, model_validator

from connectors.spec.base import HttpMethod, RequestSpec, SpecModel


class CredentialFieldSpec(SpecModel):
    """A credential a connection carries (shown as a password field when secret)."""

    label: str | None = None
    secret: bool = True
    required: bool = True
    help: str | None = None


def _credential(label: str, secret: bool = True) -> CredentialFieldSpec:
    return CredentialFieldSpec(label=label, secret=secret)


class AuthTestSpec(SpecModel):
    """A request that proves a connection's credentials (Zapier's auth test, Airflow's Test button): an answer in
    2xx (and, for GraphQL, without errors) means they work."""

    request: RequestSpec = Field(description="A cheap read that needs valid credentials (`/shop.json`, `me`).")
    label: str | None = Field(
        default=None,
        description="Template naming the account from the answer, seen as `response` ('{{ response.shop.name }}').",
    )


class TokenSourceSpec(SpecModel):
    """Where a value is found in a response: a JSON path, a header or a cookie."""

    from_: Literal["json", "header", "cookie"] = Field(alias="from")
    path: str = Field(description="Dotted JSON path, header name or cookie name; '$' is the whole JSON body.")


class AskedAgainSpec(SpecModel):
    """An answer meaning the pre-request's value is no longer good (SAP: 403 with `x-csrf-token: Required`)."""

    statuses: list[int] = Field(default_factory=lambda: [403])
    header: str | None = Field(default=None, description="A header the answer carries, e.g. `x-csrf-token`.")
    header_value: str | None = Field(default=None, description="Its value, compared without case: `Required`.")

    def matches(self, status: int, headers: Mapping[str, str]) -> bool:
        if status not in self.statuses:
            return False
        if self.header is None:
            return True
        value = headers.get(self.header)
        return value is not None and (self.header_value is None or value.lower() == self.header_value.lower())


class PreRequestSpec(SpecModel):
    """A request sent, with the connection's auth, before the requests that need what it answers, and whose value
    is reused until the app asks for a new one: SAP S/4HANA's CSRF token (`x-csrf-token: Fetch` on a GET; the
    token, and the session cookies that answer set, go with every write until a 403 says `Required`)."""

    request: RequestSpec = Field(description="The fetch, e.g. GET of the OData service root with x-csrf-token: Fetch.")
    value: TokenSourceSpec = Field(description="Where its answer holds the value (`{from: header, path: ...}`).")
    name: str = Field(
        default="pre_request_token",
        pattern=r"^[a-z][a-z0-9_]*$",
        description="The value's name in templates: `auth.<name>`.",
    )
    methods: list[HttpMethod] = Field(
        default_factory=lambda: ["POST", "PUT", "PATCH", "DELETE"],
        description="The requests that need it (SAP: every modifying request).",
    )
    headers: dict[str, str] = Field(
        description="What those requests carry, e.g. `{x-csrf-token: '{{ auth.csrf_token }}'}`. Cookies the "
        "fetch's answer set are sent back by the connection's HTTP session."
    )
    again: AskedAgainSpec = Field(
        default_factory=AskedAgainSpec,
        description="An answer asking for a new value: fetched again, and the request sent once more.",
    )


class _AuthBase(SpecModel):
    fields: dict[str, CredentialFieldSpec] = Field(
        default_factory=dict, description="Extra credential fields beyond the ones the auth type implies."
    )
    test: AuthTestSpec | None = Field(default=None, description="How to prove the credentials work.")
    pre_request: PreRequestSpec | None = Field(
        default=None, description="A value fetched before the requests that need it (a CSRF token)."
    )

    def builtin_fields(self) -> dict[str, CredentialFieldSpec]:
        return {}

    def credential_fields(self) -> dict[str, CredentialFieldSpec]:
        """Every credential field a connection for this auth carries."""
        return {**self.builtin_fields(), **self.fields}

    def obtained_names(self) -> tuple[str, ...]:
        """Names the auth obtains at run time (tokens), usable in templates as `auth.<name>`."""
        return ()


class BasicAuthSpec(_AuthBase):
    type: Literal["basic"]

    def builtin_fields(self) -> dict[str, CredentialFieldSpec]:
        return {"username": _credential("Username", secret=False), "password": _credential("Password")}


class DigestAuthSpec(BasicAuthSpec):
    """HTTP Digest (RFC 7616); MD5 and SHA-256 are negotiated from the server's challenge."""

    type: Literal["digest"]  # type: ignore[assignment]


class ApiKeyAuthSpec(_AuthBase):
    """Static key(s) sent in headers and/or query parameters, rendered from templates."""

    type: Literal["api_key"]
    headers: dict[str, str] = Field(default_factory=dict)
    query: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _somewhere_to_send(self) -> ApiKeyAuthSpec:
        if not self.headers and not self.query:
            raise ValueError("api_key auth needs 'headers' or 'query' saying where the key is sent")
        if not self.fields:
            raise ValueError("api_key auth needs 'fields' declaring the credential(s), e.g. api_key")
        return self


class ExpirySignalSpec(SpecModel):
    """Responses that mean the session or token is no longer valid."""

    statuses: list[int] = Field(default_factory=lambda: [401])
    body_contains: str | None = None

    def matches(self, status: int, body: str) -> bool:
        return status in self.statuses and (self.body_contains is None or self.body_contains in body)


class SessionExchangeSpec(SpecModel):
    """A second login step (Paytm Mall: an authorization code traded for the access token): a request rendered with
    the first step's value as `auth.token`, and where its answer holds the session token."""

    request: RequestSpec
    token: TokenSourceSpec


class SessionAuthSpec(_AuthBase):
    """A login request whose token or cookie is reused until it expires, then obtained again."""

    type: Literal["session"]
    login: RequestSpec
    token: TokenSourceSpec
    exchange: SessionExchangeSpec | None = Field(
        default=None,
        description="A second login step: `login` answers an intermediate value (`token`), this request (seeing it "
        "as `auth.token`) answers the session token; `expires_in` is then read from its answer.",
    )
    lifetime: int | None = Field(default=None, gt=0, description="Seconds a session lives, if known.")
    expires_in: TokenSourceSpec | None = Field(default=None, description="Where the response says the lifetime.")
    headers: dict[str, str] = Field(default_factory=dict)
    query: dict[str, str] = Field(default_factory=dict)
    cookies: dict[str, str] = Field(default_factory=dict)
    expiry: ExpirySignalSpec = Field(default_factory=ExpirySignalSpec)

    @model_validator(mode="after")
    def _applied_somewhere(self) -> SessionAuthSpec:
        if not (self.headers or self.query or self.cookies):
            raise ValueError("session auth needs 'headers', 'query' or 'cookies' that carry {{ auth.token }}")
        if not self.fields:
            raise ValueError("session auth needs 'fields' declaring the login credentials")
        return self

    def obtained_names(self) -> tuple[str, ...]:
        return ("token",)


class OAuth2AuthSpec(_AuthBase):
    """OAuth 2.0 with client_credentials, refresh_token or authorization_code grants."""

    type: Literal["oauth2"]
    grant_type: Literal["client_credentials", "refresh_token", "authorization_code"]
    token_url: str
    authorize_url: str | None = None
    scopes: list[str] = Field(default_factory=list)
    client_auth: Literal["body", "basic"] = Field(
        default="body", description="Send client_id/secret in the body or as HTTP Basic."
    )
    token_request_format: Literal["form", "json"] = "form"
    token_method: Literal["POST", "GET"] = Field(
        default="POST", description="GET sends the grant in the query string (Flipkart's token endpoint)."
    )
    headers: dict[str, str] = Field(default_factory=lambda: {"Authorization": "Bearer {{ auth.access_token }}"})
    query: dict[str, str] = Field(default_factory=dict)
    refresh_margin: int = Field(default=60, ge=0, description="Refresh this many seconds before expiry.")
    default_lifetime: int = Field(default=3600, gt=0, description="Seconds, when the token response has none.")
    expiry: ExpirySignalSpec = Field(
        default_factory=ExpirySignalSpec,
        description="Responses that mean the access token is no longer valid: renewed once and the request repeated. "
        "Amazon SP-API answers an expired token with 403 `Unauthorized`.",
        examples=[{"statuses": [401, 403], "body_contains": "Unauthorized"}],
    )

    @model_validator(mode="after")
    def _authorize_url_for_code_grant(self) -> OAuth2AuthSpec:
        if self.grant_type == "authorization_code" and not self.authorize_url:
            raise ValueError("grant_type authorization_code needs 'authorize_url'")
        return self

    def builtin_fields(self) -> dict[str, CredentialFieldSpec]:
        fields = {"client_id": _credential("Client ID", secret=False), "client_secret": _credential("Client secret")}
        if self.grant_type == "refresh_token":
            fields["refresh_token"] = _credential("Refresh token")
        return fields

    def obtained_names(self) -> tuple[str, ...]:
        return ("access_token",)


class OAuth1AuthSpec(_AuthBase):
    """OAuth 1.0a request signing (RFC 5849) as requests-oauthlib does it: one-legged (consumer key and secret
    only; WooCommerce over HTTP, signature in the query string) or with an access token (Magento integrations)."""

    type: Literal["oauth1"]
    flow: Literal["one_legged", "token"] = Field(
        default="token",
        description="one_legged: consumer key/secret only; token: also an access token and token secret.",
    )
    signature_method: Literal["HMAC-SHA1", "HMAC-SHA256", "HMAC-SHA512"] = "HMAC-SHA256"
    placement: Literal["header", "query"] = Field(
        default="header", description="Where the oauth_* parameters go: the Authorization header or the query."
    )
    https: Literal["sign", "basic"] = Field(
        default="sign",
        description="Over HTTPS: sign as over HTTP, or send consumer key and secret as HTTP Basic instead "
        "(WooCommerce accepts only Basic over HTTPS and only OAuth 1.0a over HTTP).",
    )

    def builtin_fields(self) -> dict[str, CredentialFieldSpec]:
        fields = {
            "consumer_key": _credential("Consumer key", secret=False),
            "consumer_secret": _credential("Consumer secret"),
        }
        if self.flow == "token":
            fields["access_token"] = _credential("Access token")
            fields["access_token_secret"] = _credential("Access token secret")
        return fields


class NoAuthSpec(_AuthBase):
    type: Literal["none"]


AuthSpec = Annotated[
    NoAuthSpec | BasicAuthSpec | DigestAuthSpec | ApiKeyAuthSpec | SessionAuthSpec | OAuth2AuthSpec | OAuth1AuthSpec,
    Field(discriminator="type"),
]
