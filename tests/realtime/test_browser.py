"""Two browsers on one ticket, against a real daphne: comments, status changes and the
watching count show up live, without a reload."""

from __future__ import annotations

from typing import Any

import pytest

from tests.realtime.processes import Daphne, chromium, demo_server, http, token

pytestmark = [pytest.mark.browser, pytest.mark.processes]


@pytest.fixture(scope="module")
def server() -> Any:
    yield from demo_server()


@pytest.fixture(scope="module")
def browser() -> Any:
    yield from chromium()


def open_ticket(server: Daphne) -> int:
    status, answer = http("GET", f"{server.url}/api/v1/tickets/?status=open")
    assert status == 200, answer
    rows = answer["results"] if isinstance(answer, dict) else answer
    for row in rows:
        if not row.get("event"):
            return row["id"]
    raise AssertionError("the demo has no open ticket outside an event")


def test_two_pages_see_each_other_live(server: Daphne, browser: Any) -> None:
    from playwright.sync_api import expect

    ticket_id = open_ticket(server)
    url = f"{server.url}/tickets/{ticket_id}/"
    first = browser.new_context(locale="en-US").new_page()
    second = browser.new_context(locale="en-US").new_page()
    for page in (first, second):
        page.goto(url)
        expect(page.get_by_test_id("live-state")).to_have_attribute(
            "data-state", "live", timeout=5000
        )
    for page in (first, second):
        expect(page.get_by_test_id("watching-count")).to_have_text("2", timeout=5000)

    before = second.get_by_test_id("comment").count()
    first.get_by_test_id("comment-form").locator("textarea[name=body]").fill(
        "Seen from the other browser"
    )
    first.get_by_test_id("comment-form").locator("[type=submit]").click()
    for page in (first, second):
        expect(page.get_by_test_id("comment")).to_have_count(before + 1, timeout=5000)
        expect(page.get_by_test_id("comment-list")).to_contain_text(
            "Seen from the other browser", timeout=5000
        )
    # Shown once, through its event, in the page that posted it too.
    expect(
        first.get_by_test_id("comment-list").get_by_text("Seen from the other browser")
    ).to_have_count(1)

    agent = token(server.url, "agent", "demo-agent")
    status, answer = http(
        "POST",
        f"{server.url}/api/v1/tickets/{ticket_id}/transitions/",
        {"action": "acknowledge", "note": "Crew booked."},
        {"Authorization": f"Token {agent}"},
    )
    assert status == 200, answer
    for page in (first, second):
        expect(page.get_by_test_id("ticket-status")).to_have_attribute(
            "data-status", "acknowledged", timeout=5000
        )
        expect(page.get_by_test_id("ticket-status")).to_have_text("Acknowledged")
    # No reload happened: the live connection is the first one.
    assert first.evaluate("performance.getEntriesByType('navigation').length") == 1

    second.context.close()
    expect(first.get_by_test_id("watching-count")).to_have_text("1", timeout=5000)
    first.context.close()


def test_buttons_follow_the_status_live_for_a_signed_in_neighbour(
    server: Daphne, browser: Any
) -> None:
    """A citizen watching a ticket the agent closes gets the reopen button without a reload."""
    from playwright.sync_api import expect

    ticket_id = open_ticket(server)
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.goto(f"{server.url}/accounts/login/")
    page.fill("input[name=username]", "citizen")
    page.fill("input[name=password]", "demo-citizen")
    page.locator("main form [type=submit]").first.click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto(f"{server.url}/tickets/{ticket_id}/")
    expect(page.get_by_test_id("live-state")).to_have_attribute("data-state", "live", timeout=5000)
    expect(page.get_by_test_id("transition-reopen")).to_have_count(0)
    agent = token(server.url, "agent", "demo-agent")
    status, answer = http(
        "POST",
        f"{server.url}/api/v1/tickets/{ticket_id}/transitions/",
        {"action": "close", "note": "Fixed."},
        {"Authorization": f"Token {agent}"},
    )
    assert status == 200, answer
    expect(page.get_by_test_id("transition-reopen")).to_be_visible(timeout=5000)
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
    context.close()
