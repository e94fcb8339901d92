"""The Delhivery Express simulator, mounted at `/delhivery` by `connectors.sandbox.server`.

`simulator.build_delhivery` builds it (token auth and tracking); `manifests` is shipment creation (CMU), `pickups`
the pickup requests, `charges` the shipping charges, `throttles` the per-IP limits of each; `waybills` is the
tracking record and `manifest` (which Eshopbox's packing calls); `control` is the control API that records and
pushes scans.
"""
