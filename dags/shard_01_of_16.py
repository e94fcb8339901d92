"""Airflow DAG file: the workflow DAGs of shard 1 of 16 (connectors.factory, connectors.registry.dag_ids)."""

from connectors.factory import register_shard

register_shard(globals(), __file__)
