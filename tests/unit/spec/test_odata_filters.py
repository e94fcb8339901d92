"""OData literals in `$filter` templates: quoting that an input cannot escape, instants in UTC as v4 and v2 write
them."""

from __future__ import annotations

import datetime as dt

import pytest

from connectors.runtime.templating import render_text
from connectors.spec.templates import TemplateError

IST = dt.timezone(dt.timedelta(hours=5, minutes=30))


def rendered(template: str, **inputs: object) -> str:
    return render_text(template, {"inputs": inputs})


def test_a_quote_in_an_input_is_doubled_so_it_cannot_add_conditions() -> None:
    template = "externalDocumentNumber eq {{ inputs.number | odata_string }}"
    assert rendered(template, number="SO-1001") == "externalDocumentNumber eq 'SO-1001'"
    sneaky = "x' or number ne '"
    assert rendered(template, number=sneaky) == "externalDocumentNumber eq 'x'' or number ne '''"


@pytest.mark.parametrize(
    ("value", "v4", "v2"),
    [
        (
            dt.datetime(2026, 3, 1, 15, 30, 5, 123456, tzinfo=IST),
            "2026-03-01T10:00:05Z",
            "datetime'2026-03-01T10:00:05'",
        ),
        ("2026-03-01T10:00:05Z", "2026-03-01T10:00:05Z", "datetime'2026-03-01T10:00:05'"),
        ("2026-03-01T15:30:05+05:30", "2026-03-01T10:00:05Z", "datetime'2026-03-01T10:00:05'"),
        ("2026-03-01", "2026-03-01T00:00:00Z", "datetime'2026-03-01T00:00:00'"),
    ],
)
def test_instants_are_written_in_utc_as_each_version_wants(value: object, v4: str, v2: str) -> None:
    assert rendered("{{ inputs.at | odata_datetime }}", at=value) == v4
    assert rendered("{{ inputs.at | odata_datetime(2) }}", at=value) == v2


def test_a_date_as_quoted_text_for_sap_business_one() -> None:
    assert rendered("UpdateDate ge {{ inputs.at | odata_date }}", at="2026-03-01T23:00:00Z") == (
        "UpdateDate ge '2026-03-01'"
    )


def test_literals_by_type() -> None:
    template = "{{ inputs.a | odata_literal }} {{ inputs.b | odata_literal }} {{ inputs.c | odata_literal }} " \
               "{{ inputs.d | odata_literal }}"  # fmt: skip
    assert rendered(template, a="it's", b=12.5, c=True, d=None) == "'it''s' 12.5 true null"


def test_a_value_that_is_no_time_fails_the_render_saying_so() -> None:
    with pytest.raises(TemplateError, match="'next tuesday' is not an ISO-8601 date or time"):
        rendered("{{ inputs.at | odata_datetime }}", at="next tuesday")
