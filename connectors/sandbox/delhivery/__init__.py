"""The Delhivery Express simulator, mounted at `/delhivery` by `connectors.sandbox.server`.

`simulator.build_delhivery` builds it (token auth, tracking and its per-IP limit); `waybills` is the tracking record
and `manifest` (which Eshopbox's packing calls); `control` is the control API that records and pushes scans.
"""
