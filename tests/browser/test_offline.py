"""Storm-proof on a phone (issue #16), in a real Chromium against a real daphne: a report and a
comment written with the network down wait in the outbox, survive a reload, and are sent once
when it comes back; a comment whose answer was lost is sent again with the same
Idempotency-Key and shows once; the app installs (manifest, service worker) and a ticket page
opened recently reads offline, saying since when."""

from __future__ import annotations

import json
import time
import urllib.request
import uuid
from typing import Any

import pytest

from tests.realtime.processes import Daphne, chromium, demo_server, http, token

pytestmark = [pytest.mark.browser, pytest.mark.processes]

PHONE = {"width": 390, "height": 844}
# The service worker controls the page and has kept a copy of it.
KEPT = (
    "async () => { if (!navigator.serviceWorker.controller) return false;"
    " const c = await caches.open('fixline-pages');"
    " return !!(await c.match(location.href, {ignoreVary: true})); }"
)


@pytest.fixture(scope="module")
def server() -> Any:
    yield from demo_server()


@pytest.fixture(scope="module")
def browser() -> Any:
    yield from chromium()


def open_ticket(server: Daphne) -> dict[str, Any]:
    """An open ticket outside the demo's storm, whose anonymous comments are held for review
    and slowed down (those rules are tested in tests/browser/test_ticket_page.py)."""
    status, answer = http("GET", f"{server.url}/api/v1/tickets/?status=open")
    assert status == 200
    rows = answer["results"] if isinstance(answer, dict) else answer
    return next(row for row in rows if not row.get("event"))


def comments_with(server: Daphne, ticket_id: int, body: str) -> int:
    status, answer = http("GET", f"{server.url}/api/v1/tickets/{ticket_id}/comments/")
    assert status == 200
    return sum(1 for c in answer if body in c.get("body", "") + c.get("body_html", ""))


def tickets_titled(server: Daphne, title: str) -> int:
    status, answer = http("GET", f"{server.url}/api/v1/tickets/?q={title.replace(' ', '+')}")
    assert status == 200
    rows = answer["results"] if isinstance(answer, dict) else answer
    return sum(1 for t in rows if t["title"] == title)


def wait_kept(page: Any, timeout: float = 20.0) -> None:
    """Until the service worker controls the page and has kept it (wait_for_function does not
    wait for a promise: it would take the promise itself as true)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(KEPT):
        assert time.monotonic() < deadline, "the service worker did not keep the page"
        page.wait_for_timeout(250)


def live_page(context: Any, url: str) -> Any:
    from playwright.sync_api import expect

    page = context.new_page()
    page.goto(url)
    expect(page.get_by_test_id("live-state")).to_have_attribute("data-state", "live", timeout=10000)
    return page


def test_offline_report_and_comment_wait_survive_a_reload_and_are_sent_once(
    server: Daphne, browser: Any
) -> None:
    from playwright.sync_api import expect

    ticket = open_ticket(server)
    ticket_url = f"{server.url}/tickets/{ticket['id']}/"
    context = browser.new_context(locale="en-US", viewport=PHONE)
    page = live_page(context, ticket_url)
    # The service worker takes the page over and keeps it (the page asks it to).
    wait_kept(page)
    report = context.new_page()
    report.goto(f"{server.url}/tickets/new/")
    wait_kept(report)
    neighbour = live_page(browser.new_context(locale="en-US"), ticket_url)

    context.set_offline(True)
    title = f"Ice on the stairs {uuid.uuid4().hex[:8]}"
    report.locator("[data-testid=category][data-code=snow]").click()
    report.fill("input[name=title]", title)
    report.fill("textarea[name=description]", "Written in the stairwell with no network.")
    report.locator("[data-testid=coords] summary").click()  # typed, as one still may
    report.fill("input[name=lat]", "45.505")
    report.fill("input[name=long]", "-73.552")
    report.get_by_role("button", name="Send the report").click()
    expect(report.get_by_test_id("outbox-count")).to_have_text("1")
    expect(report.locator("[data-outbox-note]")).to_contain_text("Saved on this device")

    body = f"Still no plough here ({uuid.uuid4().hex[:8]})"
    page.fill("#comment-body", body)
    page.locator("[data-testid=comment-form] [type=submit]").click()
    expect(page.get_by_test_id("outbox-count")).to_have_text("2")
    expect(page.get_by_test_id("outbox-item")).to_have_count(2)
    expect(page.get_by_test_id("offline-state")).to_contain_text("Offline — as of")

    # A reload with no network: the page comes from the device, and so does the outbox.
    page.reload()
    expect(page.locator("h1")).to_have_text(ticket["title"])
    expect(page.get_by_test_id("offline-state")).to_be_visible()
    expect(page.get_by_test_id("offline-state")).to_contain_text("Offline — as of")
    expect(page.get_by_test_id("outbox-count")).to_have_text("2")
    assert tickets_titled(server, title) == 0
    assert comments_with(server, ticket["id"], body) == 0

    context.set_offline(False)
    expect(page.get_by_test_id("outbox")).to_be_hidden(timeout=20000)
    expect(report.get_by_test_id("outbox")).to_be_hidden(timeout=20000)
    expect(neighbour.get_by_test_id("comment-list")).to_contain_text(body, timeout=10000)
    assert tickets_titled(server, title) == 1
    assert comments_with(server, ticket["id"], body) == 1
    expect(page.get_by_test_id("comment-list").get_by_text(body)).to_have_count(1)
    context.close()


def offers_with(server: Daphne, ticket_id: int, message: str) -> int:
    """How many offers on the ticket carry `message`, as the agent handling offers reads them."""
    agent = {"Authorization": f"Token {token(server.url, 'agent', 'demo-agent')}"}
    status, answer = http("GET", f"{server.url}/api/v1/tickets/{ticket_id}/offers/", None, agent)
    assert status == 200, answer
    rows = answer["results"] if isinstance(answer, dict) else answer
    return sum(1 for o in rows if o.get("message") == message)


def test_an_offer_of_help_written_offline_waits_and_is_sent_once(
    server: Daphne, browser: Any
) -> None:
    from playwright.sync_api import expect

    ticket = open_ticket(server)
    context = browser.new_context(locale="fr-FR", viewport=PHONE)
    page = live_page(context, f"{server.url}/tickets/{ticket['id']}/")
    wait_kept(page)

    context.set_offline(True)
    message = f"J'ai une pelle et du sel ({uuid.uuid4().hex[:8]})"
    page.get_by_test_id("offers").locator("summary", has_text="Proposer").click()
    page.fill("#offer-message", message)
    page.fill("#offer-contact", "555-0142")
    page.get_by_test_id("offer-form").locator("[type=submit]").click()
    expect(page.get_by_test_id("outbox-count")).to_have_text("1")

    page.reload()  # from the device: the offer still waits there
    expect(page.get_by_test_id("outbox-count")).to_have_text("1")
    assert offers_with(server, ticket["id"], message) == 0

    context.set_offline(False)
    expect(page.get_by_test_id("outbox")).to_be_hidden(timeout=20000)
    deadline = time.monotonic() + 10
    while offers_with(server, ticket["id"], message) == 0 and time.monotonic() < deadline:
        time.sleep(0.25)
    assert offers_with(server, ticket["id"], message) == 1
    page.wait_for_timeout(1000)  # a second send would have landed by now
    assert offers_with(server, ticket["id"], message) == 1
    context.close()


def test_a_comment_whose_answer_was_lost_is_sent_again_with_the_same_key_and_shows_once(
    server: Daphne, browser: Any
) -> None:
    from playwright.sync_api import expect

    ticket = open_ticket(server)
    # The page's own outbox retries here (no service worker in the way of the routing).
    context = browser.new_context(locale="en-US", service_workers="block")
    page = live_page(context, f"{server.url}/tickets/{ticket['id']}/")
    keys: list[str] = []

    def lose_first_answer(route: Any) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        keys.append(route.request.headers.get("idempotency-key", ""))
        if len(keys) == 1:
            route.fetch()  # the server gets it and writes it...
            route.abort("timedout")  # ...and the answer never reaches the phone
        else:
            route.continue_()

    page.route("**/api/v1/tickets/*/comments/", lose_first_answer)
    body = f"Sent on one bar ({uuid.uuid4().hex[:8]})"
    page.fill("#comment-body", body)
    page.locator("[data-testid=comment-form] [type=submit]").click()
    # The outbox is hidden before the first POST leaves too: wait for the retry itself.
    deadline = time.monotonic() + 20
    while len(keys) < 2 and time.monotonic() < deadline:
        page.wait_for_timeout(100)  # Playwright runs the route handler meanwhile
    expect(page.get_by_test_id("outbox")).to_be_hidden(timeout=20000)
    assert len(keys) >= 2 and keys[0] and len(set(keys)) == 1, keys
    expect(page.get_by_test_id("comment-list").get_by_text(body)).to_have_count(1)
    assert comments_with(server, ticket["id"], body) == 1
    context.close()


def test_installable_and_a_recent_ticket_reads_offline(server: Daphne, browser: Any) -> None:
    from playwright.sync_api import expect

    with urllib.request.urlopen(f"{server.url}/manifest.webmanifest", timeout=10) as answer:
        assert answer.headers["Content-Type"].startswith("application/manifest+json")
        manifest = json.loads(answer.read())
    assert manifest["name"] == "Fixline" and manifest["display"] == "standalone"
    assert manifest["start_url"] == "/" and manifest["theme_color"].startswith("#")
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        with urllib.request.urlopen(f"{server.url}{icon['src']}", timeout=10) as png:
            assert png.headers["Content-Type"] == "image/png"
            assert png.read(8) == b"\x89PNG\r\n\x1a\n"
    with urllib.request.urlopen(f"{server.url}/sw.js", timeout=10) as worker:
        assert "javascript" in worker.headers["Content-Type"]
        assert worker.headers["Service-Worker-Allowed"] == "/"
        assert "no-cache" in worker.headers["Cache-Control"]

    ticket = open_ticket(server)
    context = browser.new_context(locale="fr-FR", viewport=PHONE)
    # French chosen on the site (the worker's own fetches do not get Playwright's locale).
    context.add_cookies([{"name": "django_language", "value": "fr", "url": server.url}])
    page = context.new_page()
    page.goto(f"{server.url}/tickets/{ticket['id']}/")
    wait_kept(page)
    scope = page.evaluate(
        "async () => (await navigator.serviceWorker.getRegistration()).active.scriptURL"
    )
    assert scope == f"{server.url}/sw.js"
    # No push key configured on this site: the option is not offered.
    expect(page.get_by_test_id("push-toggle")).to_be_hidden()
    # What is typed survives a reload.
    page.fill("#comment-body", "Brouillon pas encore envoyé")
    page.reload()
    expect(page.locator("#comment-body")).to_have_value("Brouillon pas encore envoyé")
    context.set_offline(True)
    other = context.new_page()
    other.goto(f"{server.url}/tickets/{ticket['id']}/")
    expect(other.locator("h1")).to_have_text(ticket["title"])
    expect(other.get_by_test_id("offline-state")).to_contain_text("Hors ligne — état à")
    assert other.evaluate("document.documentElement.hasAttribute('data-offline-copy')")
    # A page never opened before: the offline page, in French too.
    other.goto(f"{server.url}/tickets/999999/")
    expect(other.get_by_test_id("offline-page")).to_be_visible()
    context.close()
