"""The workflow language and its life: validation against the catalog, apply, the step engine, quality gate.

A package of its own (not a namespace package) so that tools resolving imports, such as import-linter's layer
contract in pyproject.toml, see it as one layer between the Airflow glue above and the registry below.
"""
