"""The console in real Chromium against a real daphne, several browsers at once: a neighbour's
flag reaches open consoles live; two moderators race on one item; an offer is accepted on the
console and the ticket page says a neighbour is helping (never the contact); sanctions with a
duration, the collateral check and lifting; French, axe and a 390 px phone."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.browser.test_ux import axe_problems, login, watch_csp
from tests.realtime.processes import Daphne, chromium, demo_server, http, token
from tests.realtime.test_browser import open_ticket

# The demo server starts (migrate, seed) inside the first test's time; the machine is shared.
pytestmark = [pytest.mark.browser, pytest.mark.processes, pytest.mark.timeout(400)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def server() -> Any:
    yield from demo_server()


@pytest.fixture(scope="module")
def browser() -> Any:
    yield from chromium()


def console(browser: Any, server: Daphne, username: str, **options: Any) -> Any:
    options.setdefault("locale", "en-US")
    options.setdefault("viewport", DESKTOP)
    context = browser.new_context(**options)
    login(context, server, username)
    page = context.new_page()
    return page


def go_live(page: Any, url: str) -> None:
    from playwright.sync_api import expect

    page.goto(url)
    expect(page.get_by_test_id("live-state")).to_have_attribute(
        "data-state", "live", timeout=10_000
    )


def flagged_comment(server: Daphne, body: str) -> int:
    ticket_id = open_ticket(server)
    citizen = token(server.url, "citizen", "demo-citizen")
    status, comment = http(
        "POST",
        f"{server.url}/api/v1/tickets/{ticket_id}/comments/",
        {"body": body},
        {"Authorization": f"Token {citizen}"},
    )
    assert status == 201, comment
    # A neighbour without an account flags it.
    status, flag = http(
        "POST", f"{server.url}/api/v1/comments/{comment['id']}/flag/", {"reason": "personal_info"}
    )
    assert status == 201, flag
    return int(comment["id"])


def declare_event(
    server: Daphne, headers: dict[str, str], *, name: str, slug: str, starts: str
) -> None:
    """An emergency event declared through the API (the console's own form is tested once)."""
    status, event = http(
        "POST",
        f"{server.url}/api/v1/events/",
        {"name": name, "slug": slug, "starts_at": starts},
        headers,
    )
    assert status == 201, event


def test_a_flag_reaches_every_console_and_two_moderators_race(server: Daphne, browser: Any) -> None:
    from playwright.sync_api import expect

    first = console(browser, server, "volunteer")
    second = console(browser, server, "admin")
    # A third console whose socket is slow: it never hears that the item was handled, so its
    # moderator clicks late.
    late = console(browser, server, "agent")
    late.route_web_socket(re.compile(r"/ws/moderation/"), _drop_actions)
    problems = watch_csp(first)
    for page in (first, second, late):
        go_live(page, f"{server.url}/moderation/")

    comment_id = flagged_comment(server, "Call me on 555-0142, I live at 3 Elm Street")
    item = f'[data-testid=queue-item][data-comment-id="{comment_id}"]'
    for page in (first, second, late):
        expect(page.locator(item)).to_have_count(1, timeout=5_000)
        expect(page.locator(item)).to_contain_text("555-0142")
        expect(page.locator(item)).to_contain_text("Personal information × 1")

    first.locator(item).locator("[data-reason]").fill("phone number and address")
    first.locator(item).locator("[data-action=hide]").click()
    expect(first.get_by_test_id("action-status")).to_have_text("Hidden.")
    expect(first.locator(item)).to_have_count(0)
    expect(second.locator(item)).to_have_count(0, timeout=5_000)  # live: gone from the other
    expect(second.get_by_test_id("moderation-feed")).to_contain_text(
        "volunteer hid a comment on #", timeout=5_000
    )
    expect(second.get_by_test_id("audit-list")).to_contain_text("phone number and address")

    expect(late.locator(item)).to_have_count(1)  # its socket dropped the news
    late.locator(item).locator("[data-action=dismiss]").click()
    expect(late.get_by_test_id("action-error")).to_have_text(
        "Already handled by volunteer: hidden.", timeout=5_000
    )
    expect(late.locator(item)).to_have_count(0)

    admin = token(server.url, "admin", "demo-admin")
    status, entries = http(
        "GET",
        f"{server.url}/api/v1/moderation/audit/?target_type=comment&target_id={comment_id}",
        headers={"Authorization": f"Token {admin}"},
    )
    assert status == 200
    rows = entries["results"] if isinstance(entries, dict) else entries
    assert [row["action"] for row in rows] == ["hide"]
    assert problems == []
    for page in (first, second, late):
        page.context.close()


def _drop_actions(ws: Any) -> None:
    """A slow network for one console: everything but `moderation.action` gets through."""
    server = ws.connect_to_server()

    def forward(message: Any) -> None:
        try:
            kind = json.loads(message).get("type")
        except (TypeError, ValueError):
            kind = None
        if kind != "moderation.action":
            ws.send(message)

    server.on_message(forward)


def test_an_offer_is_accepted_on_the_console_and_the_ticket_page_says_so(
    server: Daphne, browser: Any
) -> None:
    from playwright.sync_api import expect

    ticket_id = open_ticket(server)
    moderator = console(browser, server, "volunteer")
    go_live(moderator, f"{server.url}/moderation/")
    watcher = browser.new_context(locale="en-US", viewport=PHONE).new_page()
    go_live(watcher, f"{server.url}/tickets/{ticket_id}/")
    # A fresh ticket: nobody is helping yet, so the line below can only come live.
    expect(watcher.get_by_test_id("offers-helping")).to_have_count(0)

    # A neighbour offers help from a phone; the thank-you is where the page lands (issue 18).
    neighbour = browser.new_context(locale="en-US", viewport=PHONE).new_page()
    neighbour.goto(f"{server.url}/tickets/{ticket_id}/")
    card = neighbour.get_by_test_id("offers")
    card.locator("summary", has_text="Offer help").click()
    card.locator("textarea[name=message]").fill("I have a snow blower")
    card.locator("input[name=contact]").fill("ring 555-0177")
    card.get_by_role("button", name="Send my offer").click()
    neighbour.wait_for_url(re.compile(r"#offer-result$"))
    result = neighbour.get_by_test_id("offer-result")
    expect(result).to_contain_text("Thank you")
    expect(result).to_be_in_viewport()

    offer = moderator.get_by_test_id("offer-item").filter(has_text="I have a snow blower")
    expect(offer).to_have_count(1, timeout=5_000)
    expect(offer.get_by_test_id("offer-contact")).to_have_text("ring 555-0177")
    offer.get_by_test_id("offer-accept").click()
    expect(offer.get_by_test_id("offer-complete")).to_be_visible(timeout=5_000)

    # The page that was already open says a neighbour is helping, live, and never the contact.
    expect(watcher.get_by_test_id("offers-helping")).to_be_visible(timeout=5_000)
    expect(watcher.get_by_test_id("offers-helping")).to_have_text("A neighbour is helping.")
    assert watcher.evaluate("performance.getEntriesByType('navigation').length") == 1
    assert "555-0177" not in watcher.content()
    neighbour.reload()
    assert "555-0177" not in neighbour.content()
    for page in (moderator, watcher, neighbour):
        page.context.close()


def test_sanction_with_collateral_check_duration_and_lift(server: Daphne, browser: Any) -> None:
    from playwright.sync_api import expect

    ticket_id = open_ticket(server)
    # Two anonymous browsers on one network address (this machine's): the troll and a neighbour.
    posts = []
    for body in ("troll troll troll", "neighbour here, same wifi"):
        page = browser.new_context(locale="en-US").new_page()
        page.goto(f"{server.url}/tickets/{ticket_id}/")
        form = page.get_by_test_id("comment-form")
        form.locator("textarea[name=body]").fill(body)
        form.locator("[type=submit]").click()
        expect(page.get_by_test_id("comment-list")).to_contain_text(body, timeout=5_000)
        posts.append(page)
    volunteer = token(server.url, "volunteer", "demo-volunteer")
    status, comments = http(
        "GET",
        f"{server.url}/api/v1/tickets/{ticket_id}/comments/",
        headers={"Authorization": f"Token {volunteer}"},
    )
    rows = comments["results"] if isinstance(comments, dict) else comments
    troll_key = next(c["author_key"] for c in rows if c["body"] == "troll troll troll")

    page = console(browser, server, "volunteer")
    go_live(page, f"{server.url}/moderation/")
    form = page.get_by_test_id("sanction-form")
    form.locator("[name=author_key]").fill(troll_key)
    collateral = page.get_by_test_id("sanction-collateral")
    expect(collateral).to_contain_text("same network address", timeout=5_000)
    assert int(collateral.get_attribute("data-others") or "0") >= 1

    # Bad input: a negative custom duration is refused, naming the minutes.
    form.locator("[name=duration]").select_option("custom")
    form.locator("[name=minutes]").fill("-5")
    form.locator("[name=reason]").fill("trolling")
    form.get_by_test_id("sanction-submit").click()
    expect(page.get_by_test_id("minutes-error")).to_contain_text("minutes")
    form.locator("[name=minutes]").fill("90")
    form.get_by_test_id("sanction-cookie-only").check()
    form.get_by_test_id("sanction-submit").click()
    expect(page.get_by_test_id("action-status")).to_have_text("Sanction applied.", timeout=5_000)
    row = page.locator(f'[data-testid=sanction-item][data-author-key="{troll_key}"]')
    expect(row).to_have_count(1, timeout=5_000)
    expect(row).to_have_attribute("data-follows-address", "false")
    expect(row).to_contain_text("Mute")
    expect(row).to_contain_text("this identity only")

    # The troll's browser is muted; the neighbour on the same address is not.
    troll, neighbour = posts
    for who, body in ((troll, "again"), (neighbour, "still fine")):
        who.get_by_test_id("comment-form").locator("textarea[name=body]").fill(body)
        who.get_by_test_id("comment-form").locator("[type=submit]").click()
    expect(neighbour.get_by_test_id("comment-list")).to_contain_text("still fine", timeout=5_000)
    expect(troll.locator("body")).to_contain_text("muted until", timeout=5_000)

    page.once("dialog", lambda dialog: dialog.accept("apologised"))
    row.get_by_test_id("sanction-lift").click()
    expect(page.get_by_test_id("action-status")).to_have_text("Sanction lifted.", timeout=5_000)
    expect(row).to_have_count(0, timeout=5_000)
    expect(page.get_by_test_id("audit-list")).to_contain_text("lifted a sanction", timeout=5_000)
    for p in (page, *posts):
        p.context.close()


ENGLISH = [
    "Review queue",
    "Offers of help",
    "Nothing to review",
    "Live activity",
    "Audit log",
    "Dismiss flags",
    "Hide",
    "Accept",
    "Decline",
    "Reason",
    "Apply the sanction",
    "Duration",
    "Author key",
    "Lift",
    "Older entries",
    "Offline",
    "Live",
    "Connecting",
    "hid a comment",
    "New flag",
    "Personal information",
    "Take down",
    "Sanction the author",
    # The reasons the system gives itself, once shown raw after their sentence.
    "offered help",
    "announced",
    "flagged",
]


def test_french_console_on_a_phone_has_no_english_and_axe_is_happy(
    server: Daphne, browser: Any
) -> None:
    from playwright.sync_api import expect

    page = console(browser, server, "volunteer", locale="fr-FR", viewport=PHONE, bypass_csp=True)
    problems = watch_csp(page)
    go_live(page, f"{server.url}/moderation/")
    assert page.locator("html").get_attribute("lang") == "fr"
    comment_id = flagged_comment(server, "Un commentaire à vérifier")
    item = page.locator(f'[data-testid=queue-item][data-comment-id="{comment_id}"]')
    expect(item).to_have_count(1, timeout=5_000)
    expect(page.get_by_test_id("moderation-feed")).to_contain_text("Nouveau signalement")
    item.locator("[data-action=dismiss]").click()
    expect(page.get_by_test_id("action-status")).to_have_text("Signalements écartés.")
    expect(page.get_by_test_id("audit-list")).to_contain_text("a écarté les signalements")
    text = page.evaluate("document.getElementById('main').innerText")
    found = [w for w in ENGLISH if re.search(rf"\b{re.escape(w)}\b", text)]
    assert found == [], found
    # 390 px: nothing wider than the screen, every action reachable.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    expect(page.get_by_test_id("sanction-submit")).to_be_visible()
    # The keyboard: the sanction form is reachable and submits with Enter.
    page.get_by_test_id("sanction-form").locator("[name=author_key]").focus()
    page.keyboard.press("Enter")
    expect(page.locator("[data-error-for=reason]")).to_have_text("Ce champ est obligatoire.")
    assert axe_problems(page) == []
    page.set_viewport_size(DESKTOP)
    assert axe_problems(page) == []
    assert problems == []
    page.context.close()


def _new_offer(server: Daphne, message: str) -> int:
    ticket_id = open_ticket(server)
    # From a citizen's account: anonymous offers from this one address are rate-limited.
    citizen = token(server.url, "citizen", "demo-citizen")
    status, offer = http(
        "POST",
        f"{server.url}/api/v1/tickets/{ticket_id}/offers/",
        {"message": message, "contact": "ring 555-0188"},
        {"Authorization": f"Token {citizen}"},
    )
    assert status in (201, 202), offer
    return int(offer["id"])


def _drop_offer_news(ws: Any) -> None:
    """A slow network for one console: it never hears that an offer was decided."""
    server = ws.connect_to_server()

    def forward(message: Any) -> None:
        try:
            kind = json.loads(message).get("type")
        except (TypeError, ValueError):
            kind = None
        if kind not in ("offer.updated", "moderation.action"):
            ws.send(message)

    server.on_message(forward)


def test_two_moderators_race_on_an_offer_and_decline_and_complete_click(
    server: Daphne, browser: Any
) -> None:
    from playwright.sync_api import expect

    first = console(browser, server, "agent")
    second = console(browser, server, "admin")
    late = console(browser, server, "volunteer")
    late.route_web_socket(re.compile(r"/ws/moderation/"), _drop_offer_news)
    for page in (first, second, late):
        go_live(page, f"{server.url}/moderation/")

    offer_id = _new_offer(server, "I can lend a pump")
    item = f'[data-testid=offer-item][data-offer-id="{offer_id}"]'
    for page in (first, second, late):
        expect(page.locator(item)).to_have_attribute("data-status", "pending", timeout=5_000)

    first.locator(item).get_by_test_id("offer-accept").click()
    expect(first.get_by_test_id("action-status")).to_have_text("The offer is now accepted.")
    # The other console updates live: the item now offers "Mark as done", not "Accept".
    expect(second.locator(item)).to_have_attribute("data-status", "accepted", timeout=5_000)
    expect(second.locator(item).get_by_test_id("offer-accept")).to_have_count(0)
    expect(second.locator(item).get_by_test_id("offer-complete")).to_be_visible()

    # The slow console still shows it pending: its Decline is late, and says who was first.
    expect(late.locator(item)).to_have_attribute("data-status", "pending")
    late.locator(item).get_by_test_id("offer-decline").click()
    expect(late.get_by_test_id("action-error")).to_have_text(
        "Already handled by agent: accepted.", timeout=5_000
    )
    expect(late.locator(item)).to_have_attribute("data-status", "accepted", timeout=5_000)

    # Deliberate clicks from a screen that shows it accepted: mark it as done.
    second.locator(item).get_by_test_id("offer-complete").click()
    expect(second.get_by_test_id("action-status")).to_have_text("The offer is now completed.")
    expect(second.locator(item)).to_have_count(0, timeout=5_000)  # done: it leaves the queue
    expect(first.locator(item)).to_have_count(0, timeout=5_000)

    # And Decline on an accepted offer, clicked in the browser.
    other = _new_offer(server, "I can bring sandbags")
    other_item = first.locator(f'[data-testid=offer-item][data-offer-id="{other}"]')
    expect(other_item).to_have_count(1, timeout=5_000)
    other_item.get_by_test_id("offer-accept").click()
    expect(other_item).to_have_attribute("data-status", "accepted", timeout=5_000)
    other_item.get_by_test_id("offer-decline").click()
    expect(first.get_by_test_id("action-status")).to_have_text("The offer is now declined.")
    expect(other_item).to_have_count(0, timeout=5_000)

    admin = token(server.url, "admin", "demo-admin")
    for pk, outcomes in (
        (offer_id, ["offer.complete", "offer.accept"]),
        (other, ["offer.decline", "offer.accept"]),
    ):
        status, entries = http(
            "GET",
            f"{server.url}/api/v1/moderation/audit/?target_type=offer&target_id={pk}",
            headers={"Authorization": f"Token {admin}"},
        )
        rows = entries["results"] if isinstance(entries, dict) else entries
        assert [r["action"] for r in rows if r["action"] != "offer.create"] == outcomes
    for page in (first, second, late):
        page.context.close()


RAW_CODES = re.compile(r"\b(ticket|event|offer|announcement|sanction|trust)\.[a-z_]+\b")


def test_french_console_says_takedowns_and_event_edits_in_words(
    server: Daphne, browser: Any
) -> None:
    from playwright.sync_api import expect

    page = console(browser, server, "admin", locale="fr-FR")
    go_live(page, f"{server.url}/moderation/")
    admin = {"Authorization": f"Token {token(server.url, 'admin', 'demo-admin')}"}

    # A ticket is flagged and taken down from the queue.
    ticket_id = open_ticket(server)
    status, flag = http(
        "POST", f"{server.url}/api/v1/tickets/{ticket_id}/flag/", {"reason": "spam"}
    )
    assert status == 201, flag
    status, hidden = http(
        "POST",
        f"{server.url}/api/v1/moderation/items/ticket/{ticket_id}/hide/",
        {"reason": "numéro de téléphone"},
        admin,
    )
    assert status == 200, hidden
    # An event is declared, then edited.
    slug = f"crue-{ticket_id}"
    declare_event(server, admin, name="Crue", slug=slug, starts="2026-01-01T00:00:00Z")
    status, event = http(
        "PATCH", f"{server.url}/api/v1/events/{slug}/", {"name": "Crue du fleuve"}, admin
    )
    assert status == 200, event

    feed = page.get_by_test_id("moderation-feed")
    expect(feed).to_contain_text(f"admin a retiré le signalement n° {ticket_id}", timeout=5_000)
    expect(feed).to_contain_text(f"admin a modifié l’événement {slug}", timeout=5_000)
    audit = page.get_by_test_id("audit-list")
    expect(audit).to_contain_text(f"admin a déclaré l’événement {slug}")
    for box in (feed, audit):
        assert RAW_CODES.findall(box.inner_text()) == [], box.inner_text()

    # The server-rendered audit log says the same, in words.
    page.reload()
    audit = page.get_by_test_id("audit-list")
    expect(audit).to_contain_text(f"admin a retiré le signalement n° {ticket_id}")
    expect(audit).to_contain_text(f"admin a modifié l’événement {slug}")
    assert RAW_CODES.findall(audit.inner_text()) == [], audit.inner_text()
    page.context.close()


def test_an_agent_edits_and_ends_an_event_from_the_console(server: Daphne, browser: Any) -> None:
    from playwright.sync_api import expect

    admin = {"Authorization": f"Token {token(server.url, 'admin', 'demo-admin')}"}
    slug = f"console-storm-{open_ticket(server)}"
    declare_event(server, admin, name="Console storm", slug=slug, starts="2026-01-01T00:00:00Z")

    # A trusted volunteer moderates but may not declare: no form that would answer 403.
    volunteer = console(browser, server, "volunteer")
    go_live(volunteer, f"{server.url}/moderation/")
    expect(volunteer.get_by_test_id("moderation-queue")).to_be_attached()
    expect(volunteer.get_by_test_id("event-form")).to_have_count(0)
    expect(volunteer.get_by_test_id("events-card")).to_have_count(0)

    agent = console(browser, server, "agent", viewport=PHONE, bypass_csp=True)
    watcher = console(browser, server, "admin")
    go_live(agent, f"{server.url}/moderation/")
    go_live(watcher, f"{server.url}/moderation/")
    row = agent.locator(f'[data-testid=console-event][data-event="{slug}"]')
    expect(row).to_contain_text("Console storm")
    expect(row.get_by_test_id("console-event-link")).to_have_attribute("href", f"/events/{slug}/")

    # Edit: the console's link opens the event form; saving shows the change.
    row.get_by_test_id("console-event-edit").click()
    form = agent.get_by_test_id("event-form")
    form.locator("[name=name]").fill("Console storm, day 2")
    form.get_by_role("button", name="Save the event").click()
    agent.wait_for_url(f"{server.url}/events/{slug}/")
    expect(agent.locator("h1")).to_contain_text("Console storm, day 2")
    # The other console's card follows live.
    watcher_row = watcher.locator(f'[data-testid=console-event][data-event="{slug}"]')
    expect(watcher_row).to_contain_text("Console storm, day 2", timeout=5_000)
    expect(watcher.get_by_test_id("moderation-feed")).to_contain_text(
        f"agent edited the event {slug}", timeout=5_000
    )

    # End: asked first, then done from the console, with the keyboard.
    go_live(agent, f"{server.url}/moderation/")
    row = agent.locator(f'[data-testid=console-event][data-event="{slug}"]')
    confirm = row.get_by_test_id("console-event-end-confirm")
    expect(confirm).to_be_hidden()
    row.get_by_test_id("console-event-end").focus()
    agent.keyboard.press("Enter")
    expect(confirm).to_be_visible()
    expect(row).to_contain_text("End “Console storm, day 2” now?")
    confirm.click()
    expect(agent.get_by_test_id("action-status")).to_have_text(
        "The event has ended.", timeout=5_000
    )
    expect(row).to_have_count(0)
    expect(watcher_row).to_have_count(0, timeout=5_000)
    assert agent.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    status, event = http("GET", f"{server.url}/api/v1/events/{slug}/")
    assert status == 200 and event["ends_at"], event
    assert axe_problems(agent) == []
    for page in (volunteer, agent, watcher):
        page.context.close()


def test_bad_input_that_gets_past_the_page_is_refused_by_the_server_on_its_field(
    server: Daphne, browser: Any
) -> None:
    """A stale or tampered page: what the browser would have stopped reaches the server,
    which answers 400 naming the field, and the page shows it there."""
    from playwright.sync_api import expect

    admin = {"Authorization": f"Token {token(server.url, 'admin', 'demo-admin')}"}
    offer_id = _new_offer(server, "I can clear the driveway")
    status, accepted = http(
        "POST", f"{server.url}/api/v1/offers/{offer_id}/review/", {"decision": "accept"}, admin
    )
    assert status == 200, accepted
    status, offer = http("GET", f"{server.url}/api/v1/offers/{offer_id}/", headers=admin)
    ticket_id = offer["ticket"]["id"] if isinstance(offer["ticket"], dict) else offer["ticket"]

    # An unknown flag reason, from the ticket page's offer flag form (no JavaScript needed).
    neighbour = browser.new_context(locale="en-US", viewport=PHONE).new_page()
    neighbour.goto(f"{server.url}/tickets/{ticket_id}/")
    row = neighbour.locator(f'[data-testid=public-offer][data-offer-id="{offer_id}"]')
    row.get_by_test_id("offer-flag-button").click()
    row.locator("select[name=reason] option").first.evaluate("o => { o.value = 'meh'; }")
    with neighbour.expect_navigation() as sent:
        row.get_by_role("button", name="Send to moderators").click()
    assert sent.value is not None and sent.value.status == 400
    error = neighbour.get_by_test_id("offer-flag-error")
    expect(error).to_have_text("Choose what is wrong from the list.")
    expect(neighbour.locator("select[name=reason]")).to_have_attribute(
        "aria-describedby", "offer-flag-reason-error"
    )
    neighbour.locator("select[name=reason]").select_option("spam")
    neighbour.get_by_role("button", name="Send to moderators").click()
    expect(neighbour.get_by_test_id("offer-result")).to_contain_text("a moderator will look at it")

    # A negative sanction duration, past the console's own check (a tampered request).
    page = console(browser, server, "volunteer")
    go_live(page, f"{server.url}/moderation/")
    answers: list[Any] = []

    def tamper(route: Any) -> None:
        body = json.loads(route.request.post_data or "{}")
        body["minutes"] = -5
        answers.append(route.fetch(post_data=json.dumps(body)))
        route.fulfill(response=answers[-1])

    page.route("**/api/v1/moderation/sanctions/", tamper)
    form = page.get_by_test_id("sanction-form")
    form.locator("[name=author_key]").fill(offer["author_key"])
    form.locator("[name=kind]").select_option("mute")
    form.locator("[name=duration]").select_option("60")
    form.locator("[name=reason]").fill("flooding the thread")
    form.get_by_test_id("sanction-submit").click()
    expect(page.get_by_test_id("minutes-error")).to_have_text(
        "Must be between 1 and 5256000 minutes.", timeout=5_000
    )
    assert answers and answers[0].status == 400 and "minutes" in answers[0].json()
    for p in (neighbour, page):
        p.context.close()


def test_items_that_arrive_while_the_console_is_offline_appear_after_it_reconnects(
    server: Daphne, browser: Any
) -> None:
    from playwright.sync_api import expect

    page = console(browser, server, "volunteer")
    cut = {"on": False}
    sockets: list[Any] = []

    def network(ws: Any) -> None:
        if cut["on"]:
            ws.close(code=4000, reason="offline")  # the console stays offline and retries
            return
        ws.connect_to_server()
        sockets.append(ws)

    page.route_web_socket(re.compile(r"/ws/moderation/"), network)
    go_live(page, f"{server.url}/moderation/")
    # The network drops: the console's socket closes and every retry fails.
    cut["on"] = True
    for ws in sockets:
        ws.close(code=4000, reason="offline")
    expect(page.get_by_test_id("live-state")).not_to_have_attribute("data-state", "live")

    comment_id = flagged_comment(server, "Posted while the moderator was in a tunnel")
    offer_id = _new_offer(server, "Offered while the moderator was in a tunnel")
    item = page.locator(f'[data-testid=queue-item][data-comment-id="{comment_id}"]')
    offer = page.locator(f'[data-testid=offer-item][data-offer-id="{offer_id}"]')
    page.wait_for_timeout(700)
    expect(item).to_have_count(0)  # nothing live reached it

    cut["on"] = False  # back: the next retry connects, and the console catches up
    expect(page.get_by_test_id("live-state")).to_have_attribute(
        "data-state", "live", timeout=20_000
    )
    expect(item).to_have_count(1, timeout=5_000)
    expect(item).to_contain_text("in a tunnel")
    expect(offer).to_have_count(1, timeout=5_000)
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1  # no reload
    # And it is live again.
    later = flagged_comment(server, "Posted after the tunnel")
    expect(page.locator(f'[data-testid=queue-item][data-comment-id="{later}"]')).to_have_count(
        1, timeout=5_000
    )
    page.context.close()


def test_the_events_card_in_french_on_a_phone(server: Daphne, browser: Any) -> None:
    from playwright.sync_api import expect

    admin = {"Authorization": f"Token {token(server.url, 'admin', 'demo-admin')}"}
    slug = f"verglas-{open_ticket(server)}"
    declare_event(server, admin, name="Verglas", slug=slug, starts="2099-01-01T00:00:00Z")
    page = console(browser, server, "agent", locale="fr-FR", viewport=PHONE, bypass_csp=True)
    go_live(page, f"{server.url}/moderation/")
    card = page.get_by_test_id("events-card")
    expect(card.locator("h2")).to_have_text("Situations d’urgence")
    row = card.locator(f'[data-testid=console-event][data-event="{slug}"]')
    expect(row).to_contain_text("À venir")
    expect(row.get_by_test_id("console-event-edit")).to_have_text("Modifier Verglas")
    row.get_by_test_id("console-event-end").click()
    # Opened by the tap: the question is in the page before it, folded away.
    expect(row.get_by_test_id("console-event-end-confirm")).to_be_visible()
    expect(row).to_contain_text("Terminer « Verglas » maintenant ?")
    text = card.inner_text()
    found = [w for w in ("Edit", "End", "Coming up", "In effect", "Emergency") if w in text]
    assert found == [], found
    # The declaring form's map: its buttons are named in French too, as every other map.
    area = page.get_by_test_id("event-area-map")
    expect(area.locator(".leaflet-control-zoom-in")).to_have_attribute("title", "Zoom avant")
    expect(area.locator(".leaflet-control-zoom-out")).to_have_attribute("title", "Zoom arrière")
    assert "Leaflet" not in area.locator(".leaflet-control-attribution").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    assert axe_problems(page) == []
    page.context.close()
