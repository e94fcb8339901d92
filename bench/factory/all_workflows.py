"""Airflow DAG file with every workflow's DAG in one file: the factory before the DAGs folder was sharded, kept for the
factory-versus-plain-loop benchmark (bench_factory.py) and as the 'one file' row of bench_shards.py."""

from connectors.factory import register_workflow_dags

register_workflow_dags(globals())
