"""Airflow plugin: mounts the webhook receiver, the management API and the studio on the api-server at
/integrations (docs/webhooks.md, docs/api.md), and puts the studio in Airflow's navigation (docs/studio.md)."""

from airflow.plugins_manager import AirflowPlugin

from connectors.webhooks import WebhookSettings, create_app


class IntegrationsPlugin(AirflowPlugin):
    name = "integrations"
    fastapi_apps = [
        {"app": create_app(WebhookSettings.from_env()), "url_prefix": "/integrations", "name": "Integrations webhooks"}
    ]
    external_views = [
        {
            "name": "Integrations",
            "href": "/integrations/studio/",
            "destination": "nav",
            "url_route": "integrations",
            "nav_top_level": True,
            "icon": "/integrations/studio/icon.svg",
        }
    ]
