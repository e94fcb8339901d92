"""Whatever a template does wrong is a TemplateError (permanent, never retried), and no template can exhaust
memory or time: outputs are capped, huge repetitions and powers are refused before they are computed."""

from __future__ import annotations

import time

import pytest

from connectors.runtime.errors import ConfigurationError
from connectors.runtime.http.request import render_request
from connectors.runtime.templating import MAX_RENDERED_LENGTH, TemplateError, render_text, render_url, render_value
from connectors.spec.base import RequestSpec

CONTEXT = {"inputs": {"lines": [1, 2], "order": {"id": "A-1"}, "text": "x"}}


@pytest.mark.parametrize(
    "template",
    [
        "{{ inputs.lines.append(3) }}",
        "{{ inputs.order.update({'id': 'evil'}) }}",
        "x{{ inputs.lines.append(3) }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ inputs.text.__class__ }}",
    ],
)
def test_what_the_sandbox_refuses_is_a_template_error(template: str) -> None:
    with pytest.raises(TemplateError) as caught:
        render_value(template, CONTEXT)
    assert template in str(caught.value) and "unsafe" in str(caught.value)


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("{{ 2.0 ** 10000 }}", "OverflowError"),
        ("{{ 'a' * 10**10 }}", "would repeat a sequence to 10,000,000,000 items"),
        ("n={{ [0] * 10**9 }}", "would repeat a sequence to 1,000,000,000 items"),
        ("{{ 2 ** (10 ** 8) }}", "more than 16,384 bits"),
        ("{{ (10 ** 4000) * (10 ** 4000) }}", "more than 16,384 bits"),
        ("{{ 1 / 0 }}", "ZeroDivisionError"),
        ("{{ inputs.text + 1 }}", "TypeError"),
    ],
)
def test_arithmetic_that_fails_or_would_explode_is_a_template_error_at_once(template: str, reason: str) -> None:
    started = time.monotonic()
    with pytest.raises(TemplateError) as caught:
        render_value(template, CONTEXT)
    assert time.monotonic() - started < 1.0
    assert template in str(caught.value) and reason in str(caught.value)


def test_small_arithmetic_is_untouched() -> None:
    assert render_value("{{ 'ab' * 3 }}", CONTEXT) == "ababab"
    assert render_value("{{ 2 ** 64 }}", CONTEXT) == 2**64
    assert render_value("{{ [0] * 3 }}", CONTEXT) == [0, 0, 0]
    assert render_value("{{ 1.5 * 2 }}", CONTEXT) == 3.0


def test_output_over_the_limit_is_refused_naming_the_template_and_the_limit() -> None:
    template = "{% for i in range(2000) %}{{ 'x' * 1000 }}{% endfor %}"
    with pytest.raises(TemplateError) as caught:
        render_text(template, CONTEXT)
    assert str(caught.value) == f"template {template!r} renders more than 1,048,576 characters, the limit"
    assert MAX_RENDERED_LENGTH == 1024 * 1024


def test_output_up_to_the_limit_renders() -> None:
    assert len(render_value("{{ 'x' * 1048576 }}", CONTEXT)) == MAX_RENDERED_LENGTH
    assert len(render_text("{% for i in range(1024) %}{{ 'x' * 1024 }}{% endfor %}", CONTEXT)) == MAX_RENDERED_LENGTH


def test_a_native_value_over_the_limit_is_refused() -> None:
    context = {"inputs": {"big": "y" * (MAX_RENDERED_LENGTH + 1)}}
    with pytest.raises(TemplateError, match="renders more than 1,048,576 characters"):
        render_value("{{ inputs.big }}", context)
    with pytest.raises(TemplateError, match="renders more than 1,048,576 characters"):
        render_url("/{{ inputs.big }}", context)


def test_a_request_with_a_failing_template_is_a_configuration_error_and_is_not_sent() -> None:
    spec = RequestSpec.model_validate({"method": "POST", "url": "/orders", "json": {"n": "{{ 2.0 ** 10000 }}"}})
    with pytest.raises(ConfigurationError, match="OverflowError") as caught:
        render_request(spec, CONTEXT, "https://api.example.invalid")
    assert not caught.value.retryable


@pytest.mark.parametrize(
    "template",
    [
        "{{ 'x'|center(10**10) }}",
        "{{ inputs.text|center(10**10) }}",
        "{{ inputs.text|indent(10**9) }}",
        "{{ inputs.text.ljust(10**9) }}",
        "{{ '%0300000000d'|format(1) }}",
        "{{ '%0300000000d' % 1 }}",
        "{{ '{:>300000000}'.format(1) }}",
        "{{ '{x:>300000000}'.format_map({'x': 1}) }}",
        "{{ lipsum(n=100000) }}",
    ],
)
def test_filters_methods_and_formats_cannot_size_their_output_past_the_limit(template: str) -> None:
    with pytest.raises(TemplateError) as caught:  # refused before the work: the argument or width, not the output
        render_text(template, CONTEXT)
    assert "more than 1,048,576" in str(caught.value) or "'lipsum' is undefined" in str(caught.value)
    assert "renders more than" not in str(caught.value)


def test_ordinary_widths_still_render() -> None:
    rendered = render_text("{{ 'x'|center(5) }}|{{ '%05d'|format(3) }}|{{ '{:>3}'.format(1) }}|{{ 'ab'.ljust(4) }}", {})
    assert rendered == "  x  |00003|  1|ab  "
