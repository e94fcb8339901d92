"""NAV's web services behind HTTP Digest (RFC 7616), checked with a client written here from the RFC (so the
sandbox is not only checked against the client library it was tried with): the challenge, a stale nonce answered
with `stale=TRUE`, a replayed nonce count, a wrong `uri`, a wrong password; and Basic (NavUserPassword)."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit

import pytest
import requests

from tests.unit.sandbox.business_central.api import DEMO, nav_url, state
from tests.unit.sandbox.fixtures import Sandbox


def challenge_of(response: requests.Response) -> dict[str, str]:
    header = response.headers["WWW-Authenticate"]
    assert header.startswith("Digest ")
    return {key: quoted or bare for key, quoted, bare in re.findall(r'(\w+)=(?:"([^"]*)"|([^\s,]+))', header)}


def digest_header(challenge: dict[str, str], method: str, uri: str, nc: int = 1, password: str = DEMO.nav_password,
                  cnonce: str = "0a4f113b") -> str:  # fmt: skip
    """RFC 7616 3.4.1 with qop=auth and MD5."""

    def h(text: str) -> str:
        return hashlib.md5(text.encode()).hexdigest()

    ha1 = h(f"{DEMO.nav_username}:{challenge['realm']}:{password}")
    count = f"{nc:08x}"
    response = h(f"{ha1}:{challenge['nonce']}:{count}:{cnonce}:auth:{h(f'{method}:{uri}')}")
    return (f'Digest username="{DEMO.nav_username}", realm="{challenge["realm"]}", nonce="{challenge["nonce"]}", '
            f'uri="{uri}", algorithm=MD5, qop=auth, nc={count}, cnonce="{cnonce}", response="{response}", '
            f'opaque="{challenge["opaque"]}"')  # fmt: skip


def target(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def get(sandbox: Sandbox, url: str, authorization: str | None = None) -> requests.Response:
    return sandbox.http.get(url, headers={"Authorization": authorization} if authorization else {}, timeout=10)


def test_a_request_without_credentials_gets_a_digest_challenge(sandbox: Sandbox) -> None:
    response = get(sandbox, nav_url(sandbox))
    challenge = challenge_of(response)
    assert response.status_code == 401
    assert (challenge["realm"], challenge["qop"], challenge["algorithm"], challenge["stale"]) == (
        "DynamicsNAV", "auth", "MD5", "FALSE",
    )  # fmt: skip
    assert challenge["nonce"] != challenge_of(get(sandbox, nav_url(sandbox)))["nonce"]


def test_a_right_response_is_served_and_its_nonce_counts_on(sandbox: Sandbox) -> None:
    url = nav_url(sandbox) + "?$filter=No%20eq%20'ESB-MUG-WHITE'"
    challenge = challenge_of(get(sandbox, url))
    first = get(sandbox, url, digest_header(challenge, "GET", target(url), nc=1))
    second = get(sandbox, url, digest_header(challenge, "GET", target(url), nc=2))
    assert (first.status_code, second.status_code) == (200, 200)
    assert [(i["No"], i["Inventory"]) for i in first.json()["value"]] == [("ESB-MUG-WHITE", 60)]


def test_a_replayed_nonce_count_is_refused(sandbox: Sandbox) -> None:
    url = nav_url(sandbox)
    challenge = challenge_of(get(sandbox, url))
    authorization = digest_header(challenge, "GET", target(url))
    assert get(sandbox, url, authorization).status_code == 200
    replayed = get(sandbox, url, authorization)
    assert replayed.status_code == 401 and challenge_of(replayed)["stale"] == "FALSE"


@pytest.mark.parametrize("wrong", ["password", "uri", "method"])
def test_a_response_computed_over_anything_else_is_refused(sandbox: Sandbox, wrong: str) -> None:
    url = nav_url(sandbox)
    challenge = challenge_of(get(sandbox, url))
    authorization = digest_header(
        challenge,
        "POST" if wrong == "method" else "GET",
        target(nav_url(sandbox, "SalesOrder")) if wrong == "uri" else target(url),
        password="not-it" if wrong == "password" else DEMO.nav_password,
    )
    refused = get(sandbox, url, authorization)
    assert refused.status_code == 401 and challenge_of(refused)["stale"] == "FALSE"


def test_a_stale_nonce_with_a_right_response_is_answered_stale_true(sandbox: Sandbox) -> None:
    url = nav_url(sandbox)
    challenge = challenge_of(get(sandbox, url))
    sandbox.control("business_central", "/nav/expire_nonces")
    stale = get(sandbox, url, digest_header(challenge, "GET", target(url)))
    fresh = challenge_of(stale)
    assert stale.status_code == 401 and fresh["stale"] == "TRUE" and fresh["nonce"] != challenge["nonce"]
    assert get(sandbox, url, digest_header(fresh, "GET", target(url))).status_code == 200


def test_a_nonce_the_server_did_not_issue_is_refused(sandbox: Sandbox) -> None:
    url = nav_url(sandbox)
    forged = {**challenge_of(get(sandbox, url)), "nonce": "MTcwMDAwMDAwMC4wOmZvcmdlZA=="}
    refused = get(sandbox, url, digest_header(forged, "GET", target(url)))
    assert refused.status_code == 401 and challenge_of(refused)["stale"] == "FALSE"


def test_basic_auth_of_the_web_service_user_is_accepted_too(sandbox: Sandbox) -> None:
    right = sandbox.http.get(nav_url(sandbox), auth=(DEMO.nav_username, DEMO.nav_password), timeout=10)
    wrong = sandbox.http.get(nav_url(sandbox), auth=(DEMO.nav_username, "nope"), timeout=10)
    assert (right.status_code, wrong.status_code) == (200, 401)
    assert state(sandbox)["digest_challenges"] == 1
