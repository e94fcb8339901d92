"""What the Delhivery routers share: the config, the state and the webhook sender."""

from __future__ import annotations

from dataclasses import dataclass

from connectors.sandbox.config import DelhiveryConfig
from connectors.sandbox.emission import WebhookSender
from connectors.sandbox.state import SandboxState


@dataclass
class DelhiveryContext:
    config: DelhiveryConfig
    state: SandboxState
    sender: WebhookSender
