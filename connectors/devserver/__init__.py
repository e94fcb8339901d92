"""What `make run` starts beside Airflow on a developer's machine: the embedded PostgreSQL and the health watchdog.

Nothing here runs inside Airflow or in production; deployments bring their own database and monitoring.
"""
