"""A response excerpt is redacted before it is cut to length: a secret across the cut leaves no part behind."""

from __future__ import annotations

import pytest

from connectors.runtime.errors import EXCERPT_LENGTH, PermanentError
from connectors.runtime.redaction import register_secret
from tests.unit.runtime.helpers import get, make_client, make_spec
from tests.unit.runtime.scripted_server import ScriptedServer


def test_a_secret_cut_by_the_excerpt_length_leaves_no_part_behind(scripted_server: ScriptedServer) -> None:
    secret = "cut-in-half-secret-6-" + "z" * 30
    register_secret(secret)
    scripted_server.reply(400, "x" * (EXCERPT_LENGTH - 10) + secret + " tail")

    with pytest.raises(PermanentError) as caught:
        get(make_client(make_spec(), scripted_server.url), "/orders")

    assert caught.value.excerpt == "x" * (EXCERPT_LENGTH - 10) + "*** tail"
    assert secret[:8] not in str(caught.value)
