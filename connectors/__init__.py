"""Eshopbox integrations: apps, workflows and the runtime that connects them, on Apache Airflow."""

__version__ = "0.1.0"
