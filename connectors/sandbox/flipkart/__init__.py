"""Flipkart Marketplace Seller API simulator (see `simulator`)."""

from connectors.sandbox.flipkart.simulator import build_flipkart

__all__ = ["build_flipkart"]
