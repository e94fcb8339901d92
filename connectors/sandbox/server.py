"""One ASGI app with the three simulators mounted under `/shopify`, `/eshopbox` and `/delhivery`.

from connectors.sandbox.server import SandboxServer
with SandboxServer() as sandbox:          # uvicorn in a thread on a free 127.0.0.1 port
    requests.get(sandbox.url + "/shopify/_sandbox/state")
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Any, Self

import uvicorn
from fastapi import FastAPI

from connectors.sandbox.amazon.simulator import build_amazon
from connectors.sandbox.business_central.simulator import build_business_central
from connectors.sandbox.clickpost.simulator import build_clickpost
from connectors.sandbox.config import SandboxConfig
from connectors.sandbox.delhivery.simulator import build_delhivery
from connectors.sandbox.emission import WebhookSender
from connectors.sandbox.eshopbox.simulator import build_eshopbox
from connectors.sandbox.flipkart.simulator import build_flipkart
from connectors.sandbox.ginesys.simulator import build_ginesys
from connectors.sandbox.magento.simulator import build_magento
from connectors.sandbox.marg.simulator import build_marg
from connectors.sandbox.paytm_mall.simulator import build_paytm_mall
from connectors.sandbox.sap_business_one.simulator import build_sap_business_one
from connectors.sandbox.sap_s4hana.simulator import build_sap_s4hana
from connectors.sandbox.shiprocket.simulator import build_shiprocket
from connectors.sandbox.shopify.simulator import build_shopify
from connectors.sandbox.state import SandboxState
from connectors.sandbox.woocommerce.simulator import build_woocommerce


def create_app(config: SandboxConfig | None = None) -> FastAPI:
    """The combined app. `app.state.sandbox` is the `SandboxState`, `app.state.config` the config."""
    config = config or SandboxConfig.from_env()
    state = SandboxState()
    sender = WebhookSender(state, timeout=config.webhook_timeout)
    app = FastAPI(title="Integration sandboxes (Shopify, Eshopbox, Delhivery)")
    app.state.sandbox, app.state.config, app.state.sender = state, config, sender

    @app.get("/")
    def index() -> dict[str, Any]:
        return {
            "shopify": {"ADMIN_BASE_URL": "/shopify", "admin_api": "/shopify/admin/api/2024-10"},
            "eshopbox": {
                "WMS_BASE_URL": "/eshopbox/wms",
                "AUTH_BASE_URL": "/eshopbox/auth",
                "PLATFORM_BASE_URL": "/eshopbox/platform",
            },
            "delhivery": {"BASE_URL": "/delhivery"},
            "woocommerce": {"STORE_URL": "/woocommerce", "rest_api": "/woocommerce/wp-json/wc/v3"},
            "flipkart": {"API_HOST": "/flipkart", "seller_api": "/flipkart/sellers"},
            "magento": {"STORE_URL": "/magento", "rest_api": "/magento/rest/default/V1"},
            "amazon_sp_api": {"API_BASE_URL": "/amazon", "LWA_TOKEN_URL": "/amazon/auth/o2/token"},
            "paytm_mall": {
                "PERSONA_HOST": "/paytm_mall/persona",
                "FULFILLMENT_HOST": "/paytm_mall/fulfillment",
                "CATALOG_HOST": "/paytm_mall/catalogadmin",
            },
            "business_central": {
                "API_BASE_URL": "/business_central",
                "LOGIN_BASE_URL": "/business_central/login",
                "NAV_SERVER_URL": "/business_central/nav",
            },
            "sap_business_one": {"SERVICE_LAYER_URL": "/sap_business_one/b1s/v1"},
            "sap_s4hana": {"BASE_URL": "/sap_s4hana", "odata": "/sap_s4hana/sap/opu/odata/sap"},
            "shiprocket": {"BASE_URL": "/shiprocket/v1/external"},
            "ginesys": {"BASE_URL": "/ginesys"},
            "marg": {"BASE_URL": "/marg"},
            "clickpost": {"BASE_URL": "/clickpost"},
            "control": [
                "/shopify/_sandbox",
                "/eshopbox/_sandbox",
                "/delhivery/_sandbox",
                "/woocommerce/_sandbox",
                "/flipkart/_sandbox",
                "/magento/_sandbox",
                "/amazon/_sandbox",
                "/paytm_mall/_sandbox",
                "/business_central/_sandbox",
                "/sap_business_one/_sandbox",
                "/sap_s4hana/_sandbox",
                "/shiprocket/_sandbox",
                "/ginesys/_sandbox",
                "/marg/_sandbox",
                "/clickpost/_sandbox",
                "/_sandbox/reset",
            ],
        }

    @app.post("/_sandbox/reset")
    def reset_all() -> dict[str, Any]:
        state.reset()
        return {"reset": "all"}

    @app.get("/_sandbox/deliveries")
    def deliveries() -> dict[str, Any]:
        with state.lock:
            return {"deliveries": [d.as_dict() for d in state.deliveries.values()]}

    app.mount("/shopify", build_shopify(config.shopify, state, sender))
    app.mount("/eshopbox", build_eshopbox(config.eshopbox, state, sender))
    app.mount("/delhivery", build_delhivery(config.delhivery, state, sender))
    app.mount("/woocommerce", build_woocommerce(config.woocommerce, state, sender))
    app.mount("/flipkart", build_flipkart(config.flipkart, state, sender))
    app.mount("/magento", build_magento(config.magento, state))
    app.mount("/amazon", build_amazon(config.amazon, state))
    app.mount("/paytm_mall", build_paytm_mall(config.paytm_mall, state))
    app.mount("/shiprocket", build_shiprocket(config.shiprocket, state, sender))
    app.mount("/ginesys", build_ginesys(config.ginesys, state))
    app.mount("/marg", build_marg(config.marg, state))
    app.mount("/clickpost", build_clickpost(config.clickpost, state, sender))
    app.mount("/business_central", build_business_central(config.business_central, state))
    app.mount("/sap_business_one", build_sap_business_one(config.sap_business_one, state))
    app.mount("/sap_s4hana", build_sap_s4hana(config.sap_s4hana, state))
    return app


def serve(host: str = "127.0.0.1", port: int = 8900, config: SandboxConfig | None = None) -> None:
    """Run the sandboxes in the foreground (the `integrations sandbox serve` command)."""
    uvicorn.run(create_app(config), host=host, port=port, log_level="info")


class SandboxServer:
    """The sandboxes served by uvicorn in a daemon thread (tests, demos, benchmarks); port 0 = a free port."""

    def __init__(self, config: SandboxConfig | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = create_app(config or SandboxConfig())
        self.host, self._port = host, port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    @property
    def state(self) -> SandboxState:
        return self.app.state.sandbox

    def start(self, timeout: float = 10.0) -> Self:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # asyncio sets TCP_NODELAY
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self._port))
        self.url = f"http://{self.host}:{sock.getsockname()[1]}"
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off")
        self._server = server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True, name="sandbox-server"
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the sandbox server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
