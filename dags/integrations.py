"""Airflow DAG file: one DAG per enabled workflow in the registry database (see connectors.factory)."""

from connectors.factory import register_workflow_dags

register_workflow_dags(globals())
