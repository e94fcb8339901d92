"""Airflow DAG file: the workflow DAGs of shard 15 of 16 (connectors.factory, connectors.registry.dag_ids)."""

from connectors.factory import register_shard

register_shard(globals(), __file__)
