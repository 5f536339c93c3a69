"""A client cannot choose its address (docs/security.md, "Round 2: proxies and sockets",
item 3). The documented nginx forwarded `$proxy_add_x_forwarded_for` to daphne running with
`--proxy-headers`, which took the header's first (client-written) entry: per-address limits
and the login lockout were bypassed with a forged `X-Forwarded-For`. Now nginx overwrites
the header, daphne runs without --proxy-headers, and `tickets.identity.client_ip` (HTTP and
sockets) believes the header only from a trusted proxy, and only its last entry."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import RequestFactory

from tests.realtime.processes import ROOT
from tests.security.production import Nginx, cluster_daphne, cluster_site, post
from tests.support.cluster import daphne_command
from tickets.identity import client_ip

FORGED = "203.0.113.{n}"


# --- The one place that computes the client address -------------------------------------------
@pytest.mark.parametrize(
    ("trust", "peer", "header", "expected"),
    [
        (False, "198.51.100.9", "203.0.113.1", "198.51.100.9"),  # make run: header ignored
        (True, "198.51.100.9", "203.0.113.1", "198.51.100.9"),  # not from our proxy: ignored
        (True, "127.0.0.1", "198.51.100.9", "198.51.100.9"),  # nginx wrote it
        (True, "127.0.0.1", "203.0.113.1, 198.51.100.9", "198.51.100.9"),  # appended: last
        (True, "127.0.0.1", "", "127.0.0.1"),
    ],
)
def test_client_ip_believes_the_header_only_from_the_proxy(
    settings: Any, trust: bool, peer: str, header: str, expected: str
) -> None:
    settings.FIXLINE_TRUST_X_FORWARDED_FOR = trust
    settings.FIXLINE_TRUSTED_PROXIES = ["127.0.0.1", "::1"]
    request = RequestFactory().get("/", REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=header)
    assert client_ip(request) == expected
    scope = {"client": (peer, 5000), "headers": [(b"x-forwarded-for", header.encode())]}
    assert client_ip(scope) == expected  # a socket's handshake: the same answer


def test_setting_is_read_from_the_environment() -> None:
    from project import settings as project_settings

    assert hasattr(project_settings, "FIXLINE_TRUST_X_FORWARDED_FOR")
    assert project_settings.FIXLINE_TRUSTED_PROXIES


def test_documented_setup_overwrites_the_header_and_daphne_does_not_read_it() -> None:
    docs = [ROOT / "docs" / "deploy.md", *sorted((ROOT / "docs" / "deploy").iterdir())]
    for path in docs:
        text = path.read_text()
        for value in re.findall(r"proxy_set_header\s+X-Forwarded-For\s+(\S+?);", text):
            assert value == "$remote_addr", f"{path.name}: X-Forwarded-For {value}"
        for line in text.splitlines():
            if "bin/daphne " in line:
                assert "--proxy-headers" not in line, f"{path.name}: {line.strip()}"
    assert "--proxy-headers" not in daphne_command(8101)  # make cluster


# --- The production shape, with forged headers ----------------------------------------------
@pytest.fixture(scope="module")
def site_env() -> dict[str, str]:
    return cluster_site()


# nginx as documented ($remote_addr), and one that appends (an operator's older config): the
# forged entry never becomes the client's address.
@pytest.fixture(params=["$remote_addr", "$proxy_add_x_forwarded_for"])
def behind_nginx(request: pytest.FixtureRequest, site_env: dict[str, str]) -> Iterator[str]:
    daphne = cluster_daphne(site_env)
    nginx = Nginx(daphne.port, forwarded_for=request.param)
    try:
        yield nginx.url
    finally:
        nginx.stop()
        daphne.stop()


@pytest.mark.processes
@pytest.mark.timeout(240)
def test_forged_forwarded_for_does_not_escape_the_per_address_limit(behind_nginx: str) -> None:
    """Anonymous API callers are known by their address: three reports per 10 minutes."""
    answers = []
    for n in range(5):
        status, _ = post(
            f"{behind_nginx}/api/v1/tickets/",
            {
                "title": f"Forged {n}",
                "description": "From a forged address.",
                "service_code": "snow",
                "lat": 45.505,
                "long": -73.552,
            },
            {"X-Forwarded-For": FORGED.format(n=n)},
        )
        answers.append(status)
    assert answers[:3] == [201, 201, 201], answers
    assert answers[3:] == [429, 429], answers


@pytest.mark.processes
@pytest.mark.timeout(240)
def test_forged_forwarded_for_does_not_escape_the_login_lockout(behind_nginx: str) -> None:
    url = f"{behind_nginx}/api/v1/auth/token/"
    for n in range(5):
        status, _ = post(
            url,
            {"username": "citizen", "password": "wrong"},
            {"X-Forwarded-For": FORGED.format(n=n)},
        )
        assert status in (400, 401, 429)
    status, answer = post(
        url,
        {"username": "citizen", "password": "demo-citizen"},
        {"X-Forwarded-For": FORGED.format(n=99)},
    )
    assert status == 429, answer  # locked out, even with the right password
    assert "token" not in (answer if isinstance(answer, dict) else {})
