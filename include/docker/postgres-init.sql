-- The registry (workflows, events inbox, action log, tokens) lives beside Airflow's metadata database.
CREATE DATABASE integrations OWNER airflow;
