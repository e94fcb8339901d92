"""Paytm Mall seller API simulator (legacy, community-documented; see `simulator`)."""

from connectors.sandbox.paytm_mall.simulator import build_paytm_mall

__all__ = ["build_paytm_mall"]
