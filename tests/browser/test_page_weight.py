"""Light pages (issue #16): a ticket page, first load without map tiles, is at most 150 KB on
the wire, and a reload with a warm cache at most 20 KB — measured in Chromium (DevTools'
encodedDataLength: bytes as transferred, headers included) against the production shape:
`collectstatic` run, so static files are hashed, compressed and cached immutably."""

from __future__ import annotations

import urllib.request
from typing import Any

import pytest

from tests.realtime.processes import Daphne, chromium, demo_env, demo_server, http, manage

pytestmark = [pytest.mark.browser, pytest.mark.processes]

FIRST_LOAD_MAX = 150 * 1024
WARM_RELOAD_MAX = 20 * 1024


@pytest.fixture(scope="module")
def server() -> Any:
    env = demo_env(prefix="fixline-weight-")
    manage(env, "collectstatic", "--noinput")  # what `make run` does
    yield from demo_server(env)


@pytest.fixture(scope="module")
def browser() -> Any:
    yield from chromium()


def transferred(page: Any, context: Any, go: Any) -> tuple[int, dict[str, int]]:
    """Bytes on the wire while `go()` runs and the page settles, and per URL."""
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    urls: dict[str, str] = {}
    sizes: dict[str, int] = {}
    cdp.on(
        "Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"])
    )
    cdp.on(
        "Network.loadingFinished",
        lambda e: sizes.__setitem__(
            urls.get(e["requestId"], e["requestId"]), int(e["encodedDataLength"])
        ),
    )
    go()
    page.wait_for_load_state("networkidle")
    cdp.detach()
    return sum(sizes.values()), sizes


def test_a_ticket_page_is_light_and_lighter_again_with_a_warm_cache(
    server: Daphne, browser: Any
) -> None:
    from playwright.sync_api import expect

    status, answer = http("GET", f"{server.url}/api/v1/tickets/?status=open")
    ticket = (answer["results"] if isinstance(answer, dict) else answer)[0]
    url = f"{server.url}/tickets/{ticket['id']}/"
    # Plain HTTP caching is measured: the service worker's copies would only flatter it.
    context = browser.new_context(locale="fr-FR", service_workers="block")
    page = context.new_page()

    first, first_sizes = transferred(page, context, lambda: page.goto(url))
    expect(page.get_by_test_id("live-state")).to_have_attribute("data-state", "live")
    assert page.locator("[data-testid=map] .leaflet-container").count() == 1
    assert first <= FIRST_LOAD_MAX, (first, first_sizes)

    again, again_sizes = transferred(page, context, lambda: page.reload())
    expect(page.get_by_test_id("live-state")).to_have_attribute("data-state", "live")
    assert again <= WARM_RELOAD_MAX, (again, again_sizes)
    print(f"\nticket page: first load {first} B, warm reload {again} B")


def test_static_files_are_hashed_compressed_and_immutable(server: Daphne) -> None:
    with urllib.request.urlopen(f"{server.url}/tickets/new/", timeout=10) as page:
        html = page.read().decode()
    start = html.index("/static/js/outbox.")
    path = html[start : html.index('"', start)]
    assert path != "/static/js/outbox.js", "the page should link the hashed name"
    request = urllib.request.Request(f"{server.url}{path}", headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.headers["Content-Encoding"] == "gzip"
        assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
