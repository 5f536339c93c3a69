"""A moderator hides a comment: it vanishes from an open ticket page without a reload."""

from __future__ import annotations

from typing import Any

import pytest

from tests.realtime.processes import Daphne, http, token
from tests.realtime.test_browser import browser, open_ticket, server  # noqa: F401  (shared fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.processes]


def test_hidden_comment_vanishes_from_an_open_page(server: Daphne, browser: Any) -> None:  # noqa: F811
    from playwright.sync_api import expect

    ticket_id = open_ticket(server)
    citizen = token(server.url, "citizen", "demo-citizen")
    status, comment = http(
        "POST",
        f"{server.url}/api/v1/tickets/{ticket_id}/comments/",
        {"body": "Call me at my home, 12 Elm Street, anytime"},
        {"Authorization": f"Token {citizen}"},
    )
    assert status == 201, comment
    page = browser.new_context().new_page()
    page.goto(f"{server.url}/tickets/{ticket_id}/")
    expect(page.locator("[data-testid=live-state]")).to_have_attribute(
        "data-state", "live", timeout=10_000
    )
    mine = page.locator(f'[data-testid=comment][data-comment-id="{comment["id"]}"]')
    expect(mine).to_have_count(1)

    volunteer = token(server.url, "volunteer", "demo-volunteer")
    status, answer = http(
        "POST",
        f"{server.url}/api/v1/comments/{comment['id']}/hide/",
        {"reason": "personal information"},
        {"Authorization": f"Token {volunteer}"},
    )
    assert status == 200, answer
    expect(mine).to_have_count(0, timeout=2_000)  # live, within a second or so, no reload
    assert "12 Elm Street" not in page.content()
    page.reload()
    expect(page.locator("[data-testid=live-state]")).to_have_attribute(
        "data-state", "live", timeout=10_000
    )
    assert "12 Elm Street" not in page.content()
    page.context.close()
