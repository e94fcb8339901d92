"""The package registers itself as an Airflow provider through its entry point."""

from importlib.metadata import distribution, entry_points

from connectors.get_provider_info import get_provider_info


def test_provider_entry_point_points_at_provider_info() -> None:
    (entry,) = [e for e in entry_points(group="apache_airflow_provider") if e.value.startswith("connectors.")]
    assert entry.load() is get_provider_info


def test_provider_package_name_is_the_distribution_name() -> None:
    info = get_provider_info()
    assert distribution(info["package-name"]).metadata["Name"] == info["package-name"]
