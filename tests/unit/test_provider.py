"""The package registers itself as an Airflow provider through its entry point."""

from importlib.metadata import distribution, entry_points

from connectors.get_provider_info import get_provider_info


def test_provider_entry_point_points_at_provider_info() -> None:
    (entry,) = [e for e in entry_points(group="apache_airflow_provider") if e.value.startswith("connectors.")]
    assert entry.load() is get_provider_info


def test_provider_package_name_is_the_distribution_name() -> None:
    info = get_provider_info()
    assert distribution(info["package-name"]).metadata["Name"] == info["package-name"]


def test_each_app_has_a_connection_type_whose_form_shows_its_fields() -> None:
    from airflow.providers_manager import ProvidersManager

    manager = ProvidersManager()
    assert {"integrations_shopify", "integrations_eshopbox", "integrations_delhivery"} <= set(manager.hooks)
    widgets = manager.connection_form_widgets
    token = widgets["extra__integrations_shopify__access_token"]
    shop = widgets["extra__integrations_shopify__shop"]
    assert token.is_sensitive and not shop.is_sensitive  # secrets are password fields, properties are not
    assert "extra__integrations_eshopbox__refresh_token" in widgets
    assert manager.field_behaviours["integrations_shopify"]["hidden_fields"][:2] == ["host", "schema"]
