"""A workflow's DAG id is built and parsed in one place, and no two (client, key) pairs share one."""

from __future__ import annotations

import pytest

from connectors.registry.dag_ids import dag_id_for, parse_dag_id


@pytest.mark.parametrize(
    ("client", "key"),
    [("acme__eu", "orders"), ("acme", "eu__orders"), ("a", "b"), ("demo", "shopify_order_to_eshopbox"), ("x1_", "_")],
)
def test_round_trip(client: str, key: str) -> None:
    if not key[0].isalpha():
        with pytest.raises(ValueError, match="must match"):
            dag_id_for(client, key)
        return
    assert parse_dag_id(dag_id_for(client, key)) == (client, key)


def test_keys_with_double_underscores_no_longer_collide() -> None:
    assert dag_id_for("acme__eu", "orders") != dag_id_for("acme", "eu__orders")


@pytest.mark.parametrize(
    "dag_id", ["wf__acme__orders", "wf.acme", "wf.acme.orders.x", "other.acme.orders", "wf.Acme.o"]
)
def test_other_ids_are_not_workflows(dag_id: str) -> None:
    assert parse_dag_id(dag_id) is None


def test_a_name_that_would_make_the_id_ambiguous_is_refused() -> None:
    with pytest.raises(ValueError, match="workflow client 'acme.eu'"):
        dag_id_for("acme.eu", "orders")
