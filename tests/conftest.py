"""Test-wide setup. Airflow reads its configuration when first imported, so its home is set here, first:
each test process gets its own Airflow home (SQLite metadata database) in a temporary folder."""

import os
import tempfile

os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="airflow-home-")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__FERNET_KEY"] = (
    "uC0xN-Ow6Q0p7hp5N4t6p1gYDmzkLVsxgWgOb5e8rKU="  # tests only: tokens get encrypted
)
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = os.path.join(os.path.dirname(os.path.dirname(__file__)), "dags")
os.environ.pop("INTEGRATIONS_DB_URL", None)

pytest_plugins = [
    "tests.servers.httpbin_server",
    "tests.servers.oauth2_server",
    "tests.unit.auth.login_server",
    "tests.unit.auth.oauth1_server",
    "tests.unit.auth.resource_server",
    "tests.unit.registry.databases",
    "tests.unit.sandbox.fixtures",
]
