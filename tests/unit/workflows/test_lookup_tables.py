"""Lookup tables in workflows: a carrier's status codes turned into Eshopbox's, checked at apply against the trigger
field's and the step input's declared choices, and looked up when a step's inputs render."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connectors.runtime.mapping import render_mapping
from connectors.spec import AppDefinitionError, Catalog
from connectors.spec.templates import TemplateError
from connectors.workflows.engine import step_context
from connectors.workflows.spec import WorkflowSpec
from connectors.workflows.validation import load_workflow

APPS = Path(__file__).resolve().parents[3] / "connectors" / "apps"
CARRIER = """\
app: {key: carrier, name: Carrier, category: shipping}
version: 1.0.0
base_url: https://carrier.example
auth: {type: api_key, fields: {key: {}}, headers: {X-Key: "{{ auth.key }}"}}
triggers:
  status_pushed:
    type: webhook
    name: Status pushed
    verify: {scheme: static_token, header: X-Token, value: "{{ auth.key }}"}
    dedupe_key: {path: [awb, code]}
    output:
      awb: {}
      code: {choices: [PU, DL, NDR]}
"""
WORKFLOW = """\
client: acme
key: carrier_status_to_eshopbox
name: Carrier status → Eshopbox
trigger: {app: carrier@1.0.0, connection: carrier, key: status_pushed}
lookup_tables:
  eshopbox_code:
    keys: trigger.code
    values: steps.status.status_code
    rows: {PU: 4, DL: 8, NDR: 9}
  eshopbox_name:
    keys: trigger.code
    rows: {PU: PICKED_UP, DL: DELIVERED}
    fallback: UNKNOWN
steps:
  - key: status
    app: eshopbox@1.0.0
    connection: eshopbox
    action: update_courier_status
    inputs:
      waybill: "{{ trigger.awb }}"
      courier: Carrier
      status: "{{ trigger.code | lookup(tables.eshopbox_name) }}"
      status_code: "{{ trigger.code | lookup(tables.eshopbox_code) }}"
"""


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    (tmp_path / "apps" / "carrier").mkdir(parents=True)
    (tmp_path / "apps" / "carrier" / "1.0.0.yaml").write_text(CARRIER)
    return Catalog.load([APPS, tmp_path / "apps"])


def workflow_file(tmp_path: Path, *changes: tuple[str, str]) -> Path:
    text = WORKFLOW
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "carrier_status_to_eshopbox.yaml"
    path.write_text(text)
    return path


def issues(path: Path, catalog: Catalog) -> list[str]:
    with pytest.raises(AppDefinitionError) as caught:
        load_workflow(path, catalog)
    return [str(issue) for issue in caught.value.issues]


def rendered(spec: WorkflowSpec, trigger: dict[str, Any]) -> dict[str, Any]:
    return render_mapping(spec.steps[0].inputs, step_context(spec, trigger, {}))


def test_each_code_becomes_the_value_its_row_says(tmp_path: Path, catalog: Catalog) -> None:
    spec = load_workflow(workflow_file(tmp_path), catalog)
    assert rendered(spec, {"awb": "A1", "code": "DL"}) == {
        "waybill": "A1", "courier": "Carrier", "status": "DELIVERED", "status_code": 8,
    }  # fmt: skip
    assert rendered(spec, {"awb": "A1", "code": "NDR"})["status"] == "UNKNOWN"  # no row: the fallback


def test_numeric_keys_match_whether_the_payload_sends_numbers_or_text(tmp_path: Path, catalog: Catalog) -> None:
    spec = WorkflowSpec.model_validate(
        {
            **load_workflow(workflow_file(tmp_path), catalog).model_dump(by_alias=True),
            "lookup_tables": {"names": {"rows": {8: "DELIVERED", 9: "FAILED_DELIVERY"}}},
        }  # fmt: skip
    )
    table = step_context(spec, {}, {})["tables"]["names"]
    context = {"tables": {"names": table}}
    looked_up = {"a": "{{ 8 | lookup(tables.names) }}", "b": "{{ '9' | lookup(tables.names) }}"}
    assert render_mapping(looked_up, context) == {"a": "DELIVERED", "b": "FAILED_DELIVERY"}


def test_a_code_with_no_row_and_no_fallback_fails_the_step_naming_the_table_and_the_code(
    tmp_path: Path, catalog: Catalog
) -> None:
    spec = load_workflow(workflow_file(tmp_path, ("rows: {PU: 4, DL: 8, NDR: 9}", "rows: {PU: 4, DL: 8}"),
                                       ("    keys: trigger.code\n    values", "    values")), catalog)  # fmt: skip
    with pytest.raises(TemplateError, match=r"lookup table 'eshopbox_code' has no row for 'NDR' and no fallback"):
        rendered(spec, {"awb": "A1", "code": "NDR"})


def test_apply_refuses_a_table_missing_a_value_the_trigger_field_can_hold(tmp_path: Path, catalog: Catalog) -> None:
    path = workflow_file(tmp_path, ("rows: {PU: 4, DL: 8, NDR: 9}", "rows: {PU: 4, DL: 8}"))
    (issue,) = issues(path, catalog)
    assert issue.startswith(f"{path}:9: lookup_tables.eshopbox_code.rows: ")
    assert "no row for NDR (values of trigger field 'code'): add them, or a fallback" in issue


def test_apply_refuses_a_row_for_a_code_the_trigger_never_sends(tmp_path: Path, catalog: Catalog) -> None:
    path = workflow_file(tmp_path, ("rows: {PU: 4, DL: 8, NDR: 9}", "rows: {PU: 4, DL: 8, NDR: 9, RTO: 12}"))
    (issue,) = issues(path, catalog)
    assert "RTO: not a value trigger field 'code' can hold" in issue


def test_apply_refuses_a_value_the_step_input_does_not_accept(tmp_path: Path, catalog: Catalog) -> None:
    path = workflow_file(tmp_path, ("rows: {PU: 4, DL: 8, NDR: 9}", "rows: {PU: 4, DL: 8, NDR: 7}"))
    (issue,) = issues(path, catalog)
    assert "7: not accepted by input 'steps.status.status_code' (1, 2, 3" in issue


def test_apply_refuses_vocabularies_that_declare_no_choices(tmp_path: Path, catalog: Catalog) -> None:
    path = workflow_file(tmp_path, ("keys: trigger.code\n    values: steps.status.status_code",
                                    "keys: trigger.awb\n    values: steps.status.waybill"))  # fmt: skip
    found = issues(path, catalog)
    assert any("'trigger.awb' is not a trigger output declaring choices" in issue for issue in found)
    assert any("'steps.status.waybill' is not a step input declaring choices" in issue for issue in found)


def test_apply_refuses_a_template_reading_a_table_that_is_not_declared(tmp_path: Path, catalog: Catalog) -> None:
    path = workflow_file(tmp_path, ("lookup(tables.eshopbox_name)", "lookup(tables.eshopbox_names)"))
    (issue,) = issues(path, catalog)
    assert "steps[0].inputs.status" in issue and "which is not one of the workflow's lookup_tables" in issue


def test_a_table_name_templates_cannot_read_is_refused(tmp_path: Path, catalog: Catalog) -> None:
    path = workflow_file(tmp_path, ("  eshopbox_name:", "  Eshopbox-Name:"))
    assert any("'Eshopbox-Name'" in issue and "tables.<name>" in issue for issue in issues(path, catalog))
