"""`integrations apps validate` refuses templates using a Jinja filter or test that does not exist: Jinja itself
would only fail when that branch renders, at run time."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from connectors.cli import main
from connectors.spec.references import check_template_names

BROKEN = Path(__file__).parent / "broken"


def test_apps_validate_names_the_file_line_field_and_unknown_filter() -> None:
    case = BROKEN / "unknown-template-filter"
    [path] = case.glob("*/*.yaml")

    result = CliRunner().invoke(main, ["apps", "validate", str(case)])

    assert result.exit_code == 1
    assert (
        f"{path}:31: actions.create_customer.request.json.name: invalid template "
        "'{{ inputs.name | nosuchfilter }}': unknown filter 'nosuchfilter'"
    ) in result.output


def test_filters_and_tests_are_checked_in_every_branch_and_block() -> None:
    scope = {"inputs": None}
    templates = {
        "if": "{% if inputs.a %}{{ inputs.a | uper }}{% endif %}",
        "block": "{% filter nosuch %}{{ inputs.a }}{% endfilter %}",
        "test": "{{ inputs.a if inputs.a is evn }}",
        "known": "{{ inputs.a | upper if inputs.a is string else inputs.a | tojson }}",
    }
    problems = dict(check_template_names((), templates, scope))
    assert problems.pop(("if",)).endswith("unknown filter 'uper' (did you mean 'upper'?)")
    assert problems.pop(("block",)).endswith("unknown filter 'nosuch'")
    assert problems.pop(("test",)).endswith("unknown test 'evn' (did you mean 'even'?)")
    assert problems == {}
