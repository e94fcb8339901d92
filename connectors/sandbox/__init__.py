"""Contract-faithful simulators of Shopify, Eshopbox and Delhivery for tests, demos and benchmarks.

`create_app(config)` mounts all three in one FastAPI app; `SandboxServer` runs it in a thread; see README.md.
"""

from connectors.sandbox.config import SandboxConfig
from connectors.sandbox.server import SandboxServer, create_app, serve

__all__ = ["SandboxConfig", "SandboxServer", "create_app", "serve"]
