"""Marg ERP simulator (Marg Compusoft's eOnlineData web services)."""
