"""Airflow plugin: mounts the webhook receiver on the api-server at /integrations (see docs/webhooks.md)."""

from airflow.plugins_manager import AirflowPlugin

from connectors.webhooks import WebhookSettings, create_app


class IntegrationsPlugin(AirflowPlugin):
    name = "integrations"
    fastapi_apps = [
        {"app": create_app(WebhookSettings.from_env()), "url_prefix": "/integrations", "name": "Integrations webhooks"}
    ]
