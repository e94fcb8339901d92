"""The ClickPost simulator, mounted at `/clickpost` by `connectors.sandbox.server`.

`simulator.build_clickpost` builds it: the `username` + `key` query-parameter auth (`authentication`), order
creation with its `meta.status` codes (323 for an order placed before), AWB registration and tracking (`shipments`,
served by `api`), the optional rate limit and its 429, and the control API (`control`) that sets the account's
webhook and pushes courier scans to it as ClickPost's status webhook.
"""
