"""`workflows apply` refuses, before anything is stored, what used to fail only at run time: trigger fields the
trigger does not output, literals of the wrong type, unknown Jinja filters and tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.spec import AppDefinitionError, Catalog
from connectors.workflows.validation import load_workflow

SEEDS = Path(__file__).resolve().parents[3] / "include" / "workflows"
ORDER = SEEDS / "shopify_order_to_eshopbox.yaml"
PACKED = SEEDS / "eshopbox_packed_to_shopify_fulfillment.yaml"
DELIVERED = SEEDS / "delhivery_delivered_to_eshopbox.yaml"
HOOK = """\
client: acme
key: hook
name: Anything posted to the hook
trigger: {app: http@1.0.0, connection: hook, key: catch_hook}
conditions:
  all:
    - {field: order.status, operator: equals, value: paid}
steps:
  - key: post
    app: http@1.0.0
    connection: api
    action: post_json
    inputs:
      path: /orders
      body: {id: "{{ trigger.order.id }}", all: "{{ trigger | tojson }}"}
"""


def changed(tmp_path: Path, old: str, new: str, source: Path = ORDER) -> Path:
    text = source.read_text()
    assert old in text, old
    target = tmp_path / source.name
    target.write_text(text.replace(old, new, 1))
    return target


def issues_of(path: Path) -> list[str]:
    with pytest.raises(AppDefinitionError) as caught:
        load_workflow(path, Catalog.load())
    return [str(issue) for issue in caught.value.issues]


def only_issue(path: Path) -> str:
    issues = issues_of(path)
    assert len(issues) == 1, issues
    return issues[0]


# -- trigger fields ----------------------------------------------------------------------------------------------


def test_a_trigger_field_the_trigger_does_not_output_is_refused_with_a_hint(tmp_path: Path) -> None:
    path = changed(tmp_path, "{{ trigger.id }}", "{{ trigger.idd }}")
    issue = only_issue(path)
    assert issue.startswith(
        f"{path}:16: steps[0].inputs.customer_order_number: template uses 'trigger.idd', which trigger "
        "'order_created' of shopify@1.0.0 does not output (declared: admin_graphql_api_id, billing_address, "
    )
    assert issue.endswith("); did you mean 'id'?")


def test_a_trigger_field_read_by_subscript_or_inside_for_each_is_checked_too(tmp_path: Path) -> None:
    path = changed(tmp_path, '"{{ trigger.line_items }}"', "\"{{ trigger['line_itemz'] }}\"")
    assert "steps[0].inputs.items.for_each: template uses 'trigger.line_itemz'" in only_issue(path)


def test_a_condition_on_a_field_the_trigger_does_not_output_is_refused(tmp_path: Path) -> None:
    path = changed(tmp_path, "field: status,", "field: statsu,", PACKED)
    assert only_issue(path) == (
        f"{path}:11: conditions.all[0].field: 'statsu' is not a field trigger 'shipment_updated' of "
        "eshopbox@1.0.0 outputs (declared: courierName, customerOrderNumber, externalShipmentID, status, "
        "trackingID); did you mean 'status'?"
    )


def test_fields_below_an_object_output_field_and_triggers_without_output_are_accepted(tmp_path: Path) -> None:
    load_workflow(DELIVERED, Catalog.load())  # Shipment.Status.Status: below the object field `Shipment`
    hook = tmp_path / "hook.yaml"
    hook.write_text(HOOK)  # http's catch_hook declares no output: any field may be there
    spec = load_workflow(hook, Catalog.load())
    assert spec.steps[0].inputs["body"]["id"] == "{{ trigger.order.id }}"


def test_a_condition_field_whose_first_part_is_unknown_is_refused(tmp_path: Path) -> None:
    path = changed(tmp_path, "field: Shipment.Status.StatusType", "field: Shipmnt.Status.StatusType", DELIVERED)
    assert "conditions.all[0].field: 'Shipmnt.Status.StatusType' is not a field trigger 'scan_pushed'" in (
        only_issue(path)
    )


# -- literals ----------------------------------------------------------------------------------------------------


def test_a_literal_of_the_wrong_type_is_refused(tmp_path: Path) -> None:
    text = ORDER.read_text().split("      items:")[0] + '      items: "not a list"\n'
    path = tmp_path / ORDER.name
    path.write_text(text)
    assert only_issue(path) == (
        f"{path}:31: steps[0].inputs.items: 'not a list' is not of type array (input 'items' of action 'create_order')"
    )


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('tax_amount: "{{ trigger.total_tax | float }}"', "tax_amount: a lot", "'a lot' is not of type number"),
        ("is_cod: \"{{ trigger.financial_status == 'pending' }}\"", "is_cod: maybe", "'maybe' is not of type boolean"),
        (
            "      shipping_address:\n",
            "      shipping_address: [1, 2]\n      billing_address:\n",
            "is not of type object",
        ),
    ],
)
def test_literals_are_checked_against_every_input_type(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert expected in only_issue(changed(tmp_path, old, new))


def test_a_for_each_mapped_to_an_input_that_is_not_a_list_is_refused(tmp_path: Path) -> None:
    path = changed(tmp_path, 'order_total: "{{ trigger.total_price | float }}"',
                   'order_total: {for_each: "{{ trigger.line_items }}", map: "{{ item.price }}"}')  # fmt: skip
    assert "steps[0].inputs.order_total: for_each builds a list, not a value of type number (input 'order_total'" in (
        only_issue(path)
    )


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('tax_amount: "{{ trigger.total_tax | float }}"', 'tax_amount: "12.5"'),  # text that reads as a number
        ("is_cod: \"{{ trigger.financial_status == 'pending' }}\"", "is_cod: 'yes'"),
        ('tax_amount: "{{ trigger.total_tax | float }}"', "tax_amount: 0"),
        ('tax_amount: "{{ trigger.total_tax | float }}"', "tax_amount: null"),  # the default applies
        ('payment_type: "{{', 'payment_type: "Pre{{'),  # templated: its type is known when it renders
    ],
)
def test_literals_the_run_accepts_are_accepted(tmp_path: Path, old: str, new: str) -> None:
    load_workflow(changed(tmp_path, old, new), Catalog.load())


def test_an_unquoted_yaml_date_is_refused_asking_for_quotes(tmp_path: Path) -> None:
    # before: accepted by validation, then a TypeError traceback storing it (dates are not JSON)
    path = changed(tmp_path, "        city:", "        since: 2026-11-01T10:00:00\n        city:")
    path = changed(
        tmp_path, "order_date: \"{{ trigger.created_at[:19] | replace('T', ' ') }}\"", "order_date: 2026-11-01", path
    )
    assert issues_of(path) == [
        f"{path}:17: steps[0].inputs.order_date: YAML reads 2026-11-01 as a date, which a workflow cannot store: "
        "quote it as text",
        f"{path}:26: steps[0].inputs.shipping_address.since: YAML reads 2026-11-01T10:00:00 as a date, which a "
        "workflow cannot store: quote it as text",
    ]


# -- Jinja filters and tests -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("| float }}", "| nosuchfilter }}", "unknown filter 'nosuchfilter'"),
        ("| replace('T', ' ')", "| replac('T', ' ')", "unknown filter 'replac' (did you mean 'replace'?)"),
        ("trigger.financial_status == 'pending' }}", "trigger.financial_status is pendng }}", "unknown test 'pendng'"),
        ('"{{ trigger.email }}"', '"{% if trigger.email %}{{ trigger.email | nosuch }}{% endif %}"', "'nosuch'"),
    ],
)
def test_an_unknown_filter_or_test_is_refused(tmp_path: Path, old: str, new: str, expected: str) -> None:
    issue = only_issue(changed(tmp_path, old, new))
    assert expected in issue
    assert issue.startswith(f"{tmp_path / ORDER.name}:")


def test_every_seed_workflow_still_passes_every_check() -> None:
    catalog = Catalog.load()
    seeds = sorted(SEEDS.glob("*.yaml"))
    assert len(seeds) >= 5 and all(load_workflow(path, catalog) for path in seeds)  # each would raise if refused
