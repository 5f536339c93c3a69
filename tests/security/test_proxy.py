"""A client cannot choose its address (docs/security.md, "Round 2: proxies and sockets",
item 3). The documented nginx forwarded `$proxy_add_x_forwarded_for` to daphne running with
`--proxy-headers`, which took the header's first (client-written) entry: per-address limits
and the login lockout were bypassed with a forged `X-Forwarded-For`. Now nginx overwrites
the header, daphne runs without --proxy-headers, and `tickets.identity.client_ip` (HTTP and
sockets) believes the header only from a trusted proxy, and only its last entry."""

from __future__ import annotations

import asyncio
import re
import time
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


@pytest.mark.usefixtures("rate_window")
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


# --- Origins (item 10): exact scheme://host:port, not the host name alone ----------------------
async def handshake(origin: bytes, host: bytes | None) -> bool:
    from channels.testing import WebsocketCommunicator

    from project.asgi import application

    headers = [(b"origin", origin)] + ([(b"host", host)] if host else [])
    comm = WebsocketCommunicator(application, "/ws/feed/", headers=headers)
    connected, _ = await comm.connect(timeout=5)
    await comm.disconnect()
    return bool(connected)


@pytest.mark.django_db(transaction=True)
async def test_origin_must_match_scheme_host_and_port() -> None:
    assert await handshake(b"http://127.0.0.1:8000", b"127.0.0.1:8000")
    assert not await handshake(b"http://127.0.0.1:9000", b"127.0.0.1:8000")  # another port
    assert not await handshake(b"https://127.0.0.1:8000", b"127.0.0.1:8000")  # another scheme
    assert not await handshake(b"http://127.0.0.1", b"127.0.0.1:8000")
    assert not await handshake(b"null", b"127.0.0.1:8000")
    assert not await handshake(b"http://evil.example:8000", b"evil.example:8000")  # not allowed


@pytest.mark.django_db(transaction=True)
async def test_configured_origins_are_the_only_ones(settings: Any) -> None:
    settings.FIXLINE = {**settings.FIXLINE, "WS_ALLOWED_ORIGINS": ["https://fixline.example.org"]}
    assert await handshake(b"https://fixline.example.org", b"127.0.0.1:8000")
    assert await handshake(b"https://fixline.example.org:443", b"127.0.0.1:8000")
    assert not await handshake(b"http://127.0.0.1:8000", b"127.0.0.1:8000")
    assert not await handshake(b"https://fixline.example.org:8443", b"fixline.example.org:8443")
    settings.FIXLINE = {**settings.FIXLINE, "WS_ALLOWED_ORIGINS": ["http://127.0.0.1:*"]}
    assert await handshake(b"http://127.0.0.1:9000", b"127.0.0.1:8000")  # explicit opt-in only
    assert not await handshake(b"http://localhost:9000", b"127.0.0.1:8000")


@pytest.fixture(scope="module")
def demo() -> Iterator[Any]:
    from tests.realtime.processes import demo_server

    yield from demo_server()


def in_a_thread(function: Any, *args: Any) -> Any:
    """Playwright's sync API and asyncio.run need a thread without a running event loop (this
    module's async tests leave pytest-asyncio's)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(function, *args).result()


class AttackerSite:
    """A page on 127.0.0.1 at another port that tries to read the moderation feed."""

    def __init__(self, target_ws: str) -> None:
        import http.server
        import threading

        page = f"""<!doctype html><meta charset="utf-8"><title>attacker</title><script>
window.result = {{opened: false, messages: 0, closed: null}};
const ws = new WebSocket("{target_ws}/ws/moderation/");
ws.onopen = () => {{ window.result.opened = true; }};
ws.onmessage = () => {{ window.result.messages += 1; }};
ws.onclose = (e) => {{ window.result.closed = e.code; }};
</script>""".encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802  (the stdlib's name)
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def socket_result(page: Any) -> dict[str, Any]:
    """The page's socket outcome once it opened or closed (polled: our pages' CSP forbids the
    string evaluation behind Playwright's wait_for_function)."""
    deadline = time.monotonic() + 15
    result = page.evaluate("() => window.result")
    while not (result["opened"] or result["closed"] is not None) and time.monotonic() < deadline:
        page.wait_for_timeout(100)
        result = page.evaluate("() => window.result")
    page.wait_for_timeout(1500)  # a moment for anything the feed would send
    return page.evaluate("() => window.result")


@pytest.mark.browser
@pytest.mark.processes
@pytest.mark.timeout(240)
def test_page_on_another_port_cannot_read_the_moderation_feed(demo: Any) -> None:
    own, stolen = in_a_thread(read_the_feed_from_two_origins, demo)
    assert own["opened"] and own["closed"] is None, own  # the real page
    assert not stolen["opened"] and stolen["messages"] == 0, stolen  # another port


def read_the_feed_from_two_origins(demo: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    from tests.realtime.processes import chromium

    browsers = chromium()
    chromium_browser = next(browsers)
    context = chromium_browser.new_context(locale="en-US")
    page = context.new_page()
    page.goto(f"{demo.url}/accounts/login/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "demo-admin")
    page.locator("main form [type=submit]").first.click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    attacker = AttackerSite(demo.ws)
    try:
        # The real page: its socket opens with the admin's session.
        page.goto(f"{demo.url}/")
        page.evaluate(
            """() => { window.result = {opened: false, messages: 0, closed: null};
            const ws = new WebSocket(location.origin.replace('http', 'ws') + '/ws/moderation/');
            ws.onopen = () => { window.result.opened = true; };
            ws.onclose = (e) => { window.result.closed = e.code; }; }"""
        )
        own = socket_result(page)
        # Same host, another port, same browser (the session cookie is sent: cookies ignore
        # ports): refused at the handshake.
        evil = context.new_page()
        evil.goto(attacker.url)
        stolen = socket_result(evil)
    finally:
        attacker.stop()
        context.close()
        browsers.close()
    return own, stolen


@pytest.mark.processes
@pytest.mark.timeout(240)
def test_behind_nginx_another_port_is_refused(site_env: dict[str, str]) -> None:
    from tests.support.servers import free_port

    daphne = cluster_daphne(site_env)
    nginx = Nginx(daphne.port)
    try:
        ws = nginx.url.replace("http://", "ws://")
        answers = in_a_thread(asyncio.run, handshake_statuses(ws, nginx.url, free_port()))
    finally:
        nginx.stop()
        daphne.stop()
    assert answers == [101, 403, 403], answers


async def handshake_statuses(ws: str, own: str, other_port: int) -> list[int]:
    import websockets

    statuses = []
    for origin in (own, f"http://127.0.0.1:{other_port}", "http://127.0.0.1"):
        try:
            async with websockets.connect(f"{ws}/ws/feed/", origin=origin, open_timeout=10):
                statuses.append(101)
        except websockets.InvalidStatus as refused:
            statuses.append(refused.response.status_code)
    return statuses
