"""Ginesys OMS (Browntape) simulator."""
