"""Sandboxed templates (native values, strict undefined, no escapes) and user-supplied values."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.runtime.errors import ConfigurationError
from connectors.runtime.http.request import render_request
from connectors.runtime.templating import TemplateError, render_text, render_value
from connectors.runtime.values import coerce, resolve_values
from connectors.spec.app_version import EnvironmentVariableSpec, PropertySpec
from connectors.spec.base import RequestSpec, TypedFieldSpec
from connectors.spec.references import check_references
from connectors.spec.templates import iter_templates, referenced_names
from tests.unit.runtime.helpers import make_spec

CONTEXT: dict[str, Any] = {
    "inputs": {"qty": 5, "price": 9.5, "gift": False, "lines": [1, 2], "note": None, "order": {"id": "A-1"}},
    "properties": {"shop": "acme"},
    "auth": {"token": "t0k3n"},
}

# -- templating --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ inputs.qty }}", 5),
        ("  {{ inputs.qty }}  ", 5),
        ("{{ inputs.price }}", 9.5),
        ("{{ inputs.gift }}", False),
        ("{{ inputs.lines }}", [1, 2]),
        ("{{ inputs.order }}", {"id": "A-1"}),
        ("{{ inputs.note }}", None),
        ("{{ inputs.qty * 2 }}", 10),
        ("{{ inputs.lines | length }}", 2),
    ],
)
def test_a_single_expression_keeps_its_native_type(template: str, expected: Any) -> None:
    result = render_value(template, CONTEXT)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("qty={{ inputs.qty }}", "qty=5"),
        ("{{ inputs.qty }}{{ inputs.qty }}", "55"),
        ("{{ properties.shop }}-{{ inputs.order.id }}", "acme-A-1"),
        ("{% if inputs.gift %}yes{% else %}no{% endif %}", "no"),
        ("plain text", "plain text"),
        ("{{ inputs.qty }}\n", 5),
    ],
)
def test_anything_else_renders_to_text(template: str, expected: Any) -> None:
    assert render_value(template, CONTEXT) == expected


def test_nested_structures_are_walked() -> None:
    value = {"line_items": [{"quantity": "{{ inputs.qty }}", "title": "x{{ inputs.qty }}"}], "n": 3, "f": None}
    assert render_value(value, CONTEXT) == {"line_items": [{"quantity": 5, "title": "x5"}], "n": 3, "f": None}


def test_render_text_always_gives_text() -> None:
    assert render_text("{{ inputs.qty }}", CONTEXT) == "5"
    assert render_text("{{ inputs.note }}", CONTEXT) == ""


@pytest.mark.parametrize(
    "template", ["{{ inputs.missing }}", "{{ nope }}", "id={{ inputs.order.nope }}", "{{ inputs.missing.deeper }}"]
)
def test_undefined_names_are_errors(template: str) -> None:
    with pytest.raises(TemplateError) as caught:
        render_value(template, CONTEXT)
    assert template in str(caught.value)


def test_undefined_with_an_explicit_default_is_fine() -> None:
    assert render_value("{{ inputs.missing | default('x') }}", CONTEXT) == "x"


def test_syntax_errors_are_template_errors() -> None:
    with pytest.raises(TemplateError, match="invalid template"):
        render_value("{{ inputs.qty ", CONTEXT)
    with pytest.raises(TemplateError, match="invalid template"):
        referenced_names("{% for %}")


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__ }}",
        "x{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ inputs.__class__.__init__.__globals__ }}",
        "{{ inputs.lines.append(3) }}",
        "{{ inputs.order.update({'id': 'evil'}) }}",
    ],
)
def test_the_sandbox_blocks_escapes_and_mutation(template: str) -> None:
    context = {"inputs": {"lines": [1, 2], "order": {"id": "A-1"}}}
    with pytest.raises(TemplateError):  # not jinja2's SecurityError: a template error is permanent
        render_value(template, context)
    assert context == {"inputs": {"lines": [1, 2], "order": {"id": "A-1"}}}


def test_render_request_renders_and_drops_none_params() -> None:
    spec = RequestSpec.model_validate(
        {
            "method": "POST",
            "url": "/orders/{{ inputs.order.id }}.json",
            "params": {"fields": "id", "since": "{{ inputs.note }}"},
            "headers": {"X-Token": "{{ auth.token }}"},
            "json": {"qty": "{{ inputs.qty }}"},
        }
    )
    rendered = render_request(spec, CONTEXT, "https://{{ x }}.invalid/api/")
    assert rendered.url == "https://{{ x }}.invalid/api/orders/A-1.json"  # the base URL is not a template here
    assert rendered.params == {"fields": "id"}
    assert rendered.headers == {"X-Token": "t0k3n"}
    assert rendered.json == {"qty": 5}

    with pytest.raises(ConfigurationError, match="nope"):
        render_request(RequestSpec(url="/{{ nope }}"), CONTEXT, "https://example.invalid")


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ properties.shop }}/{{ auth['token'] }}", {("properties", "shop"), ("auth", "token")}),
        ("{{ properties.shop.domain }}", {("properties", "shop")}),
        ("{{ inputs | tojson }}", {("inputs", None)}),
        ("{{ inputs[key] }}", {("inputs", None), ("key", None)}),
        ("{% for item in inputs.lines %}{{ item.sku }}{{ loop.index }}{% endfor %}", {("inputs", "lines")}),
        ("{% for i in range(inputs.n) %}{{ i }}{% endfor %}", {("inputs", "n")}),
        ("{% set ns = namespace(total=0) %}{{ ns.total }}", set()),
        ("{{ loop.index }}", {("loop", "index")}),  # no for loop: not Jinja's `loop`
        ("{% set x = env.region %}{{ x.upper() }}", {("env", "region")}),
        ("{% for k, v in inputs.order.items() %}{{ k }}={{ v }}{% endfor %}", {("inputs", "order")}),
        ("no templates", set()),
    ],
)
def test_referenced_names(template: str, expected: set[tuple[str, str | None]]) -> None:
    assert referenced_names(template) == expected


def test_iter_templates_reports_paths_of_templated_strings() -> None:
    value = {"a": "plain", "b": ["{{ x }}", {"c": "{% if y %}1{% endif %}"}], "d": 3}
    assert list(iter_templates(value)) == [(("b", 0), "{{ x }}"), (("b", 1, "c"), "{% if y %}1{% endif %}")]


# -- values ------------------------------------------------------------------------------------------------


def declared(**fields: dict[str, Any]) -> dict[str, TypedFieldSpec]:
    return {name: TypedFieldSpec.model_validate(spec) for name, spec in fields.items()}


def test_defaults_fill_missing_and_empty_values() -> None:
    fields = declared(
        limit={"type": "integer", "default": 50},
        region={"type": "string", "default": "in"},
        note={"type": "string"},
    )
    assert resolve_values(fields, {"region": ""}, "inputs") == {"limit": 50, "region": "in", "note": None}


def test_a_required_value_that_is_missing_is_named() -> None:
    fields = declared(shop={"type": "string", "required": True}, token={"type": "secret", "required": True})
    with pytest.raises(ConfigurationError) as caught:
        resolve_values(fields, {"token": "abcd"}, "properties of probe@1.0.0")
    message = str(caught.value)
    assert message.startswith("properties of probe@1.0.0: ")
    assert "'shop' is required" in message
    assert "token" not in message


def test_text_is_coerced_to_the_declared_type() -> None:
    fields = declared(
        limit={"type": "integer"},
        ratio={"type": "number"},
        live={"type": "boolean"},
        off={"type": "boolean"},
        whole={"type": "number"},
    )
    resolved = resolve_values(fields, {"limit": "5", "ratio": " 0.25 ", "live": "Yes", "off": "0", "whole": 3}, "x")
    assert resolved == {"limit": 5, "ratio": 0.25, "live": True, "off": False, "whole": 3.0}
    assert type(resolved["limit"]) is int and type(resolved["whole"]) is float


def test_a_wrong_type_names_the_field_and_every_problem_is_listed() -> None:
    fields = declared(
        limit={"type": "integer"},
        live={"type": "boolean"},
        mode={"type": "choice", "choices": ["test", "live"]},
        fine={"type": "string"},
    )
    with pytest.raises(ConfigurationError) as caught:
        resolve_values(
            fields, {"limit": "five", "live": "maybe", "mode": "prod", "fine": "ok"}, "inputs of create_order"
        )
    message = str(caught.value)
    assert message.startswith("inputs of create_order: ")
    assert "'limit': 'five' is not of type integer" in message
    assert "'live': 'maybe' is not of type boolean" in message
    assert "'mode': 'prod' is not one of test, live" in message
    assert "fine" not in message


def test_booleans_are_not_integers() -> None:
    with pytest.raises(ConfigurationError, match="'limit': True is not of type integer"):
        resolve_values(declared(limit={"type": "integer"}), {"limit": True}, "inputs")
    assert coerce("integer", "5.0") == "5.0"  # not an unambiguous integer: left for the type check


def test_properties_and_environment_declarations_resolve_too() -> None:
    properties = {"shop": PropertySpec(required=True), "page_size": PropertySpec(type="integer", default=50)}
    environment = {"timeout": EnvironmentVariableSpec(type="number", default=2.5), "key": EnvironmentVariableSpec()}
    assert resolve_values(properties, {"shop": "acme", "page_size": "250"}, "p") == {"shop": "acme", "page_size": 250}
    assert resolve_values(environment, {"timeout": "10"}, "e") == {"timeout": 10.0, "key": None}


def test_loop_and_jinja_globals_pass_the_reference_check() -> None:
    spec = make_spec(
        actions={
            "create": {
                "name": "Create",
                "inputs": {"lines": {"type": "array"}},
                "request": {
                    "method": "POST",
                    "url": "/orders",
                    "json": {"text": "{% for l in inputs.lines %}{{ loop.index }}:{{ l }} {% endfor %}{{ range(2) }}"},
                },
            }
        }
    )
    assert check_references(spec) == []
