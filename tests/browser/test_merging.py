"""Casework in a real Chromium against a real daphne: an agent merges a duplicate from their
browser while a neighbour has it open (the neighbour's page shows the banner live, and its link
leads to the original); on the report form, "it's the same: follow it instead" follows the
existing ticket and files nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.realtime.processes import Daphne, chromium, demo_server, http, token

pytestmark = [pytest.mark.browser, pytest.mark.processes]

POINT = {"lat": 45.5432, "long": -73.6123}  # in the demo city
NEAR = {"lat": 45.5433, "long": -73.6122}


@pytest.fixture(scope="module")
def server() -> Any:
    yield from demo_server()


@pytest.fixture(scope="module")
def browser() -> Any:
    yield from chromium()


def login(context: Any, server: Daphne, username: str) -> None:
    page = context.new_page()
    page.goto(f"{server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", f"demo-{username}")
    page.locator("main form [type=submit]").first.click()
    page.wait_for_load_state()
    page.close()


def file_ticket(server: Daphne, title: str, point: dict[str, float]) -> int:
    agent = {"Authorization": f"Token {token(server.url, 'agent', 'demo-agent')}"}
    status, body = http(
        "POST",
        f"{server.url}/api/v1/tickets/",
        {"title": title, "service_code": "snow", **point},
        headers=agent,
    )
    assert status == 201, body
    return int(body["id"])


def ticket_count(server: Daphne) -> int:
    status, body = http("GET", f"{server.url}/api/v1/tickets/")
    assert status == 200
    return int(body["count"])


def test_agent_merges_and_the_open_duplicate_shows_the_way_live(
    server: Daphne, browser: Any
) -> None:
    from playwright.sync_api import expect

    original = file_ticket(server, "Fallen tree blocks Birch Avenue", POINT)
    duplicate = file_ticket(server, "Tree down on Birch", NEAR)

    neighbour = browser.new_context(locale="en-US").new_page()
    neighbour.goto(f"{server.url}/tickets/{duplicate}/")
    expect(neighbour.get_by_test_id("live-state")).to_have_attribute("data-state", "live")
    banner = neighbour.get_by_test_id("merged-banner")
    expect(banner).to_be_hidden()

    agent_context = browser.new_context(locale="en-US")
    login(agent_context, server, "agent")
    agent = agent_context.new_page()
    agent.goto(f"{server.url}/tickets/{duplicate}/")
    agent.get_by_test_id("merge-tools").locator("summary").click()
    agent.get_by_test_id("merge-into").fill(str(original))
    agent.get_by_test_id("merge-button").click()
    agent.wait_for_url(re.compile(rf"/tickets/{duplicate}/"))
    expect(agent.get_by_test_id("merged-banner")).to_be_visible()
    expect(agent.get_by_test_id("unmerge-button")).to_be_visible()

    # The neighbour's page, never reloaded: banner, link and status within a few seconds.
    expect(banner).to_be_visible(timeout=5000)
    link = neighbour.get_by_test_id("merged-link")
    expect(link).to_have_attribute("href", f"/tickets/{original}/")
    expect(link).to_contain_text("Fallen tree blocks Birch Avenue")
    expect(neighbour.get_by_test_id("ticket-status")).to_have_attribute("data-status", "closed")
    link.click()
    neighbour.wait_for_url(f"{server.url}/tickets/{original}/")
    expect(neighbour.locator("h1")).to_have_text("Fallen tree blocks Birch Avenue")
    expect(neighbour.get_by_test_id("merged-duplicates")).to_contain_text(f"#{duplicate}")

    # Unmerge from the agent's browser hides the banner live on the other page.
    neighbour.goto(f"{server.url}/tickets/{duplicate}/")
    expect(neighbour.get_by_test_id("live-state")).to_have_attribute("data-state", "live")
    expect(neighbour.get_by_test_id("merged-banner")).to_be_visible()
    agent.get_by_test_id("unmerge-button").click()
    expect(neighbour.get_by_test_id("merged-banner")).to_be_hidden(timeout=5000)
    agent_context.close()


def test_follow_it_instead_follows_and_files_nothing(server: Daphne, browser: Any) -> None:
    from playwright.sync_api import expect

    existing = file_ticket(server, "Unplowed sidewalk by the school", POINT)
    before = ticket_count(server)
    context = browser.new_context(locale="en-US")
    login(context, server, "citizen")
    page = context.new_page()
    page.goto(f"{server.url}/tickets/new/?service_code=snow&lat={NEAR['lat']}&long={NEAR['long']}")
    expect(page.get_by_test_id("similar")).to_be_visible(timeout=5000)
    button = page.locator(f'[data-testid="follow-instead"][data-ticket-id="{existing}"]')
    expect(button).to_be_visible()
    button.click()
    done = page.get_by_test_id("follow-instead-done")
    expect(done).to_contain_text(f"You now follow #{existing}")
    expect(page).to_have_url(re.compile(r"/tickets/new/"))  # nothing submitted

    assert ticket_count(server) == before
    status, ticket = http("GET", f"{server.url}/api/v1/tickets/{existing}/")
    assert status == 200 and ticket["followers"] == 2  # its reporter, and now the citizen
    page.goto(f"{server.url}/me/following/")
    expect(page.get_by_test_id("my-following")).to_contain_text("Unplowed sidewalk by the school")
    context.close()
