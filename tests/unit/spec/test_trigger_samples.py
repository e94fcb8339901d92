"""A trigger's declared sample (the dry run's sample before any event is stored) holds every declared output
field, so it cannot drift from them unnoticed."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from connectors.spec.triggers import WebhookTriggerSpec

TRIGGER = {
    "type": "webhook",
    "name": "Shipment updated",
    "verify": {"scheme": "none"},
    "dedupe_key": {"path": "id"},
    "output": {"id": {}, "status": {}},
}


def test_a_sample_with_every_output_field_is_kept() -> None:
    trigger = WebhookTriggerSpec.model_validate({**TRIGGER, "sample": {"id": "S1", "status": "packed", "extra": 1}})
    assert trigger.sample == {"id": "S1", "status": "packed", "extra": 1}


def test_a_sample_missing_an_output_field_is_refused_naming_it() -> None:
    with pytest.raises(ValidationError, match="the sample lacks the declared output field\\(s\\) status"):
        WebhookTriggerSpec.model_validate({**TRIGGER, "sample": {"id": "S1"}})


def test_the_catalogs_samples_hold_their_outputs() -> None:
    from connectors.spec import Catalog

    catalog = Catalog.load()
    declared = {
        f"{spec.ref} {key}"
        for app in catalog.apps
        for spec in catalog.versions(app)
        for key, trigger in spec.triggers.items()
        if trigger.sample is not None
    }
    assert {"shopify@1.0.0 order_created", "eshopbox@1.0.0 shipment_updated"} <= declared
