"""The webhook receiver and its dispatcher, mounted in the Airflow api-server (see docs/webhooks.md)."""

from connectors.webhooks.receiver import create_app
from connectors.webhooks.settings import WebhookSettings

__all__ = ["WebhookSettings", "create_app"]
