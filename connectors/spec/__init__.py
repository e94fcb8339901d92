"""The app-definition language: pydantic models, the YAML loader, validation errors and the catalog."""

from connectors.spec.app_version import AppVersionSpec
from connectors.spec.catalog import Catalog
from connectors.spec.errors import AppDefinitionError, SpecIssue
from connectors.spec.loader import load_app_version

__all__ = ["AppDefinitionError", "AppVersionSpec", "Catalog", "SpecIssue", "load_app_version"]
