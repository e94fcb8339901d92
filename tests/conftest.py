"""Fixtures shared by every test folder: real servers started on 127.0.0.1."""

pytest_plugins = [
    "tests.servers.httpbin_server",
    "tests.servers.oauth2_server",
    "tests.unit.auth.login_server",
    "tests.unit.auth.resource_server",
]
