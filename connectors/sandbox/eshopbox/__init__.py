"""The Eshopbox simulator, mounted at `/eshopbox` by `connectors.sandbox.server`.

`simulator.build_eshopbox` builds it (bearer gate and optional API limit); `context` is what every router shares
(errors, shipment status changes and their webhooks); `tokens`, `wms`, `platform_api` and `control` are the routers.
"""
