"""The Shopify Admin REST API 2024-10 simulator, mounted at `/shopify` by `connectors.sandbox.server`.

`simulator.build_shopify` builds it; `context` is what every router shares; `admin`, `fulfillment` and `control` are
the routers; `orders` builds realistic orders and the demo catalogue.
"""
