"""Requests the Eshopbox tests (and the tests that need an Eshopbox order) share."""

from __future__ import annotations

from typing import Any

import requests

from tests.unit.sandbox.fixtures import Sandbox

GRANT = {
    "grant_type": "refresh_token",
    "client_id": "sandbox-client-id",
    "client_secret": "sandbox-client-secret",
    "refresh_token": "sandbox-refresh-token",
}


def order_body(number: str = "1001", channel: str = "SHOPIFY-DEMO") -> dict[str, Any]:
    address = {
        "customerName": "Asha Verma",
        "addressLine1": "12, MG Road",
        "city": "Gurugram",
        "state": "Haryana",
        "postalCode": "122002",
        "contactPhone": "9876543210",
        "email": "asha@example.com",
    }
    return {
        "externalChannelID": channel,
        "customerOrderNumber": number,
        "orderDate": "2024-10-03 10:00:00",
        "isCOD": "0",
        "paymentType": "Prepaid",
        "taxAmount": 90,
        "subtotal": 499,
        "orderTotal": 589,
        "balanceDue": 0,
        "thirdPartyShipping": False,
        "shippingAddress": address,
        "billingAddress": address,
        "items": [
            {
                "lineItemSequenceNumber": "1",
                "itemID": "ESB-TEE-RED-M",
                "productName": "Red tee",
                "quantity": 1,
                "customerPrice": 499,
                "discount": 0,
                "lineItemTotal": 499,
            }
        ],
    }


class Eshopbox:
    """Bearer-authenticated calls to the WMS and platform APIs of a running sandbox."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox, self.http = sandbox, sandbox.http
        self.headers = {"Authorization": f"Bearer {sandbox.eshopbox_token()}"}

    def wms(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.http.request(method, f"{self.sandbox.url}/eshopbox/wms{path}", headers=self.headers, **kwargs)

    def platform(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.http.request(method, f"{self.sandbox.url}/eshopbox/platform{path}", headers=self.headers, **kwargs)

    def create_order(self, number: str = "1001") -> dict[str, Any]:
        response = self.wms("POST", "/api/order", json=order_body(number))
        assert response.status_code == 200, response.text
        return response.json()
