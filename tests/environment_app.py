"""An app version declaring an environment (a required URL, a secret, a typed default) for the tests of
`integrations env`, its service and its API routes."""

from __future__ import annotations

TEMPLATE = """
app: {{key: {key}, name: {key} API, category: generic}}
version: {version}
base_url: "{{{{ env.BASE_URL }}}}"
auth: {{type: api_key, fields: {{token: {{}}}}, headers: {{X-Token: "{{{{ auth.token }}}}"}}}}
environment:
  BASE_URL: {{required: true, description: Beta or live}}
  {secret}: {{secret: true}}
  PAGE_SIZE: {{type: integer, default: 50}}
{extra}
"""


def environment_app(version: str, extra: str = "", key: str = "partner", secret: str = "PARTNER_KEY") -> str:
    """The definition of `key@version`, with `extra` lines added to its environment."""
    return TEMPLATE.format(key=key, version=version, secret=secret, extra=extra)
