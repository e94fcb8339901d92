# The Airflow 3.3.2 image with the integrations package (apps, provider, DAG factory, webhook plugin) installed.
FROM apache/airflow:3.3.2-python3.11
COPY --chown=airflow:0 . /opt/integrations
RUN pip install --no-cache-dir -e /opt/integrations
