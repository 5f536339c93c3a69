"""Casework in real browsers (Chromium, Playwright) on the demo site under daphne: two
agents on one ticket; one adds an internal note and assigns it, the other sees both live;
a citizen's open copy of the page never receives the note (neither its DOM nor its socket)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.test_ux import login
from tests.realtime.processes import Daphne, chromium, demo_server, http

pytestmark = [pytest.mark.browser, pytest.mark.processes]

NOTE = "Crew booked for 3 pm - internal 5521"


@pytest.fixture(scope="module")
def server() -> Any:
    yield from demo_server()


@pytest.fixture(scope="module")
def browser() -> Any:
    yield from chromium()


def _open(browser: Any, server: Daphne, url: str, username: str | None) -> tuple[Any, list[str]]:
    context = browser.new_context(locale="en-GB")
    if username:
        login(context, server, username)
    page = context.new_page()
    frames: list[str] = []
    page.on(
        "websocket",
        lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload))),
    )
    page.goto(url)
    page.wait_for_selector('[data-testid="live-state"][data-state="live"]', timeout=10_000)
    return page, frames


def test_two_agents_see_each_others_casework_live_a_citizen_sees_none(
    server: Daphne, browser: Any
) -> None:
    status, ticket = http(
        "POST",
        f"{server.url}/api/v1/tickets/",
        {"title": "Fallen tree on the quay", "service_code": "snow", "lat": 45.505,
         "long": -73.552},
    )  # fmt: skip
    assert status == 201, ticket
    url = f"{server.url}/tickets/{ticket['id']}/"
    first, _ = _open(browser, server, url, "agent")
    second, _ = _open(browser, server, url, "borough-agent")
    citizen, citizen_frames = _open(browser, server, url, None)
    assert citizen.locator('[data-testid="casework-panel"]').count() == 0

    first.fill('[data-testid="note-form"] textarea[name="body"]', NOTE)
    first.locator('[data-testid="note-form"] [type="submit"]').click()
    first.select_option('[data-testid="assign-form"] select', "user:borough-agent")
    first.locator('[data-testid="assign-form"] [type="submit"]').click()

    note = second.locator('[data-testid="note-list"] [data-testid="note"]', has_text=NOTE)
    note.wait_for(timeout=5_000)
    second.locator("[data-casework-assignee]", has_text="Bea Borough").wait_for(timeout=5_000)
    assert second.locator('[data-testid="assign-form"] select').input_value() == (
        "user:borough-agent"
    )
    # The author's own page shows it once, through the same path.
    first.locator('[data-testid="note"]', has_text=NOTE).wait_for(timeout=5_000)
    assert first.locator('[data-testid="note"]', has_text=NOTE).count() == 1

    # A public change after the note: once the citizen has it, the note had its chance.
    status, _ = http(
        "POST", f"{server.url}/api/v1/tickets/{ticket['id']}/comments/", {"body": "Still there"}
    )
    assert status in (201, 202)
    citizen.locator('[data-testid="comment"]', has_text="Still there").wait_for(timeout=5_000)
    assert NOTE not in citizen.content()
    assert citizen_frames and any("comment.created" in frame for frame in citizen_frames)
    for frame in citizen_frames:
        assert "5521" not in frame and "note.created" not in frame and "assigned" not in frame
    citizen.reload()
    assert NOTE not in citizen.content()
    for page in (first, second, citizen):
        page.context.close()
