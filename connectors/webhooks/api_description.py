"""The OpenAPI description of the webhook routes, built from the app definitions.

The webhook routes are plain Starlette routes (FastAPI's parameter machinery would cost more than the handler),
so FastAPI cannot describe them: this module does. Besides the two generic routes, each webhook trigger of the
catalog gets its own path (`/webhooks/shopify/order_created/{connection}`) naming the headers its newest version
verifies and reads, and the body fields its dedupe key is taken from: what an operator registers at the provider,
and what a fuzzer (`tests/unit/webhooks/test_fuzz.py`) needs to reach past verification.
"""

from __future__ import annotations

from typing import Any

from connectors.spec import AppVersionSpec, Catalog
from connectors.spec.signatures import PresetVerifySpec, SignatureVerifySpec
from connectors.spec.triggers import HmacVerifySpec, StaticTokenVerifySpec, WebhookTriggerSpec

REFUSED = "unknown webhook route, or the delivery failed verification"

_ERROR = {"type": "object", "required": ["detail"], "properties": {"detail": {"type": "string"}}}
_EVENT = {
    "type": "object",
    "required": ["workflow", "event_id", "duplicate"],
    "properties": {
        "workflow": {"type": "string", "description": "client/key"},
        "event_id": {"type": "integer"},
        "duplicate": {"type": "boolean"},
    },
}
_ACCEPTED = {
    "oneOf": [
        {
            "type": "object",
            "title": "Stored",
            "required": ["stored", "duplicates", "events"],
            "properties": {
                "stored": {"type": "array", "items": {"type": "integer"}, "description": "new event ids"},
                "duplicates": {"type": "array", "items": {"type": "integer"}, "description": "earlier event ids"},
                "events": {"type": "array", "items": _EVENT},
            },
        },
        {
            "type": "object",
            "title": "Ignored",
            "required": ["ignored"],
            "properties": {"ignored": {"type": "string", "description": "the topic no trigger here handles"}},
        },
    ]
}
_OUTPUT_TYPES = {
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "boolean": {"type": "boolean"},
    "object": {"type": "object"},
    "array": {"type": "array"},
    "datetime": {"type": "string", "format": "date-time"},
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


RESPONSES: dict[str, Any] = {
    "200": _json(_ACCEPTED, "Stored and committed (or a topic the trigger does not handle: acknowledged, ignored)"),
    "400": _json(_ERROR, "Verified, but the body is not a UTF-8 JSON object, or the declared dedupe key is missing"),
    "401": _json(_ERROR, f"Refused, nothing stored: {REFUSED} (one answer for both)"),
    "404": _json(_ERROR, "Not a webhook path at all (a segment empty, or decoding to '/' or a line break)"),
    "408": _json(_ERROR, "The body was not received in full in time"),
    "413": _json(_ERROR, "The body is larger than the receiver accepts"),
    "415": _json(_ERROR, "Verified, but the declared Content-Type is not JSON in UTF-8"),
    "503": _json(_ERROR, "The registry or the connection could not be read, or the event not stored: retry later"),
}


def _path_parameter(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": {"type": "string"}}


def _header(name: str, description: str, required: bool, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "header",
        "required": required,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def _body(properties: dict[str, Any] | None = None, required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "additionalProperties": True, "properties": properties or {}}
    if required:
        schema["required"] = required
    description = "The event as the app sends it: a JSON object (verified over these exact bytes)"
    return {"required": True, "description": description, "content": {"application/json": {"schema": schema}}}


def _operation(operation_id: str, summary: str, description: str, parameters: list[Any], body: Any) -> Any:
    return {
        "post": {
            "operationId": operation_id,
            "summary": summary,
            "description": description,
            "tags": ["webhooks"],
            "security": [],
            "parameters": parameters,
            "requestBody": body,
            "responses": RESPONSES,
        }
    }


def _verify_header(trigger: WebhookTriggerSpec) -> dict[str, Any] | None:
    verify = trigger.verify
    if isinstance(verify, HmacVerifySpec):
        what = f"{verify.prefix}{verify.encoding} HMAC-{verify.algorithm.upper()} of the raw body"
        return _header(verify.header, f"{what}, keyed with the webhook secret", True)
    if isinstance(verify, StaticTokenVerifySpec):
        return _header(verify.header, "the token agreed with the app for this connection", True)
    if isinstance(verify, PresetVerifySpec):
        return _header(verify.header, f"the {verify.scheme} signature of the request", True)
    if isinstance(verify, SignatureVerifySpec):
        return _header(verify.header, f"{verify.encoding} {verify.mac} signature of the request", True)
    return None


def _require(properties: dict[str, Any], required: list[str], parts: list[str]) -> None:
    """Make a dotted body path required: objects on the way, the leaf as the output declares it (else any value)."""
    head, rest = parts[0], parts[1:]
    if head not in required:
        required.append(head)
    if not rest:
        properties.setdefault(head, {})
        return
    node = properties.get(head)
    if not node or node.get("type") != "object":
        node = properties[head] = {"type": "object"}
    _require(node.setdefault("properties", {}), node.setdefault("required", []), rest)


def _body_paths(trigger: WebhookTriggerSpec) -> list[str]:
    path = trigger.dedupe_key.path
    return [] if path is None else path if isinstance(path, list) else [path]


def _trigger_path(spec: AppVersionSpec, versions: list[str], trigger_key: str, trigger: WebhookTriggerSpec) -> Any:
    parameters = [_path_parameter("connection", f"the Airflow connection of the client's {spec.app.name} account")]
    verify = _verify_header(trigger)
    if verify:
        parameters.append(verify)
    source = trigger.dedupe_key
    if source.header:
        parameters.append(
            _header(source.header, "the delivery's id: a redelivery with the same id is a duplicate", True)
        )
    if trigger.topic and trigger.topic.header:
        handled = ", ".join(trigger.topic.values)
        topic = {"type": "string", "examples": trigger.topic.values}
        parameters.append(_header(trigger.topic.header, f"handled: {handled}; others are ignored (200)", False, topic))
    properties = {name: dict(_OUTPUT_TYPES[field.type]) for name, field in trigger.output.items()}
    required: list[str] = []
    for path in _body_paths(trigger):
        _require(properties, required, path.removeprefix("$.").split("."))
    description = (trigger.description or trigger.name) + f" ({spec.app.key} versions {', '.join(versions)})."
    body = _body(properties, required)
    operation_id = f"deliver_{spec.app.key}_{trigger_key}"
    return _operation(operation_id, f"{spec.app.name}: {trigger.name}", description, parameters, body)


def webhook_paths(catalog: Catalog) -> dict[str, Any]:
    """OpenAPI path items for the webhook routes: the two generic ones, and one per app webhook trigger."""
    apps = sorted(catalog.apps)
    paths: dict[str, Any] = {
        "/webhooks/{app}/{trigger}/{connection}": _operation(
            "deliver_to_connection",
            "Deliver to every enabled workflow on an app's trigger and connection",
            "Verified as the app version declares (the header differs per app: see the per-trigger paths). "
            f"Apps: {', '.join(apps)}.",
            [
                _path_parameter("app", "the app's key, e.g. shopify"),
                _path_parameter("trigger", "the webhook trigger's key, e.g. order_created"),
                _path_parameter("connection", "the Airflow connection id of the client's account"),
            ],
            _body(),
        ),
        "/webhooks/workflows/{client}/{key}": _operation(
            "deliver_to_workflow",
            "Deliver to one workflow",
            "Verified as the workflow's trigger app version declares.",
            [_path_parameter("client", "the workflow's client"), _path_parameter("key", "the workflow's key")],
            _body(),
        ),
    }
    for key in apps:
        served: dict[str, list[tuple[AppVersionSpec, WebhookTriggerSpec]]] = {}
        for spec in catalog.versions(key):  # oldest first: the last one of each trigger is the newest
            for trigger_key, trigger in spec.triggers.items():
                if isinstance(trigger, WebhookTriggerSpec):
                    served.setdefault(trigger_key, []).append((spec, trigger))
        for trigger_key, specs in sorted(served.items()):
            spec, trigger = specs[-1]
            versions = [version.version for version, _ in specs]
            paths[f"/webhooks/{key}/{trigger_key}/{{connection}}"] = _trigger_path(spec, versions, trigger_key, trigger)
    return paths
