"""The service layer: what the command line and the management API do, as plain functions returning typed data.

One code path, two faces: `connectors/cli*.py` prints what these functions return, the management API
(`connectors/webhooks/management_api.py`) serves it as JSON, so the two can never disagree. Nothing here imports
Airflow or click: what needs Airflow (asking it for a run, reading its health, looking up connection types) is passed
in by the face (`Waker`, a health reader, `ConnectionTypes`). Every failure is a `ServiceError` with a message and,
for validation, the `Problem`s with their paths. See docs/api.md.
"""

from connectors.services.errors import Problem, ServiceError

__all__ = ["Problem", "ServiceError"]
