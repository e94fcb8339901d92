"""Amazon Selling Partner API simulator (see `simulator`)."""

from connectors.sandbox.amazon.simulator import build_amazon

__all__ = ["build_amazon"]
