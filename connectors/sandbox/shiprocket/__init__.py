"""The Shiprocket simulator, mounted at `/shiprocket` by `connectors.sandbox.server`.

`simulator.build_shiprocket` builds it: the API user's login and its 10-day JWT (`authentication`), adhoc orders,
AWBs, pickups and tracking (`shipments`, served by `api`), the bare 429 of its rate limit, and the control API
(`control`) that sets the account's webhook and pushes courier scans to it.
"""
