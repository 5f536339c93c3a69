"""The ticket page as people use it, several browsers at once against a real daphne: a
neighbour flags, moderators hide, restore and take down from the page, an agent answers in the
one reply box and every open copy follows without a reload (docs/ticket-page.md)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.test_ux import axe_problems, login
from tests.realtime.processes import Daphne, chromium, demo_server, http, token

pytestmark = [pytest.mark.browser, pytest.mark.processes]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
CITY = {"lat": 45.540, "long": -73.600}  # the City of Riverton: the demo agent's
IN_THE_STORM = {"lat": 45.556, "long": -73.633}  # inside seed_storm's AREA: joins the storm


@pytest.fixture(scope="module")
def server() -> Any:
    yield from demo_server()


@pytest.fixture(scope="module")
def browser() -> Any:
    yield from chromium()


TOKENS: dict[tuple[str, str], str] = {}


def auth(server: Daphne, username: str) -> dict[str, str]:
    key = (server.url, username)
    if key not in TOKENS:
        TOKENS[key] = token(server.url, username, f"demo-{username}")
    return {"Authorization": f"Token {TOKENS[key]}"}


def new_ticket(server: Daphne, title: str, **extra: Any) -> int:
    """A fresh ticket of the City of Riverton (filed by the agent: never rate-limited)."""
    body = {"title": title, "service_code": "streetlight", **CITY, **extra}
    status, answer = http("POST", f"{server.url}/api/v1/tickets/", body, auth(server, "agent"))
    assert status == 201, answer
    return int(answer["id"])


def new_comment(server: Daphne, ticket_id: int, text: str) -> int:
    url = f"{server.url}/api/v1/tickets/{ticket_id}/comments/"
    status, answer = http("POST", url, {"body": text}, auth(server, "citizen"))
    assert status == 201, answer
    return int(answer["id"])


def open_page(context: Any, server: Daphne, ticket_id: int) -> Any:
    from playwright.sync_api import expect

    page = context.new_page()
    page.goto(f"{server.url}/tickets/{ticket_id}/")
    expect(page.get_by_test_id("live-state")).to_have_attribute("data-state", "live", timeout=5000)
    return page


def comment(page: Any, text: str) -> Any:
    return page.get_by_test_id("comment").filter(has_text=text)


def moderate(page: Any, item: Any, button: str, reason: str) -> None:
    """Click a moderator's button and answer its reason form, with the keyboard."""
    item.get_by_test_id(button).click()
    form = page.get_by_test_id("moderation-form")
    form.locator("input[name=reason]").fill(reason)
    form.locator("input[name=reason]").press("Enter")


def no_reload(page: Any) -> bool:
    return page.evaluate("performance.getEntriesByType('navigation').length") == 1


def test_an_anonymous_neighbour_flags_a_comment_on_a_phone(server: Daphne, browser: Any) -> None:
    from playwright.sync_api import expect

    ticket_id = new_ticket(server, "Flooded underpass on Elm")
    new_comment(server, ticket_id, "Call me at 555-0199, I live at 12 Elm")
    context = browser.new_context(locale="en-US", viewport=PHONE)
    page = open_page(context, server, ticket_id)
    item = comment(page, "555-0199")
    item.get_by_test_id("flag-button").click()
    form = item.get_by_test_id("flag-form")
    expect(form.locator("select[name=reason] option")).to_have_count(5)
    form.locator("select[name=reason]").select_option("personal_info")
    form.locator("[type=submit]").click()
    expect(item.get_by_test_id("flag-done")).to_have_text(
        "Thanks, a moderator will look.", timeout=5000
    )
    # A second flag by the same person says so clearly, and is not counted twice.
    item.get_by_test_id("flag-button").click()
    item.get_by_test_id("flag-form").locator("[type=submit]").click()
    expect(item.get_by_test_id("flag-form")).to_contain_text("You already reported this")

    # A comment arriving live gets the same button, and it works the same.
    new_comment(server, ticket_id, "Live arrival with a bad word")
    live = comment(page, "Live arrival")
    expect(live).to_have_count(1, timeout=5000)
    live.get_by_test_id("flag-button").click()
    live.get_by_test_id("flag-form").locator("select[name=reason]").select_option("abuse")
    live.get_by_test_id("flag-form").locator("[type=submit]").click()
    expect(live.get_by_test_id("flag-done")).to_be_visible(timeout=5000)
    assert no_reload(page)

    status, queue = http(
        "GET", f"{server.url}/api/v1/moderation/queue/", None, auth(server, "volunteer")
    )
    assert status == 200, queue
    flagged = [r for r in queue["results"] if r["ticket"]["id"] == ticket_id]
    reasons = sorted(f["reason"] for r in flagged for f in r["flags"])
    assert reasons == ["abuse", "personal_info"]
    context.close()


def test_a_moderator_hides_and_restores_and_every_copy_follows(
    server: Daphne, browser: Any
) -> None:
    from playwright.sync_api import expect

    ticket_id = new_ticket(server, "Broken bench in the park")
    new_comment(server, ticket_id, "First neighbour: seen it too")
    new_comment(server, ticket_id, "Abusive words about a neighbour")
    volunteer = browser.new_context(locale="en-US", viewport=DESKTOP)
    login(volunteer, server, "volunteer")
    agent = browser.new_context(locale="en-US", viewport=DESKTOP)
    login(agent, server, "agent")
    public = browser.new_context(locale="en-US", viewport=PHONE)
    acting = open_page(volunteer, server, ticket_id)
    watching = open_page(agent, server, ticket_id)
    reader = open_page(public, server, ticket_id)
    expect(reader.get_by_test_id("hide-button")).to_have_count(0)
    expect(reader.get_by_test_id("takedown-button")).to_have_count(0)

    moderate(acting, comment(acting, "Abusive words"), "hide-button", "insults a neighbour")
    expect(comment(reader, "Abusive words")).to_have_count(0, timeout=5000)
    expect(comment(reader, "First neighbour")).to_have_count(1)
    for page in (acting, watching):  # moderators keep it, marked
        item = comment(page, "Abusive words")
        expect(item.get_by_test_id("hidden-badge")).to_have_text("Hidden", timeout=5000)
        expect(item.get_by_test_id("restore-button")).to_be_visible()
        expect(item.get_by_test_id("hide-button")).to_have_count(0)
    # The focus goes to the restore button, once the answer is in (the event that marks the
    # copy may come first): a keyboard user carries on from there.
    expect(comment(acting, "Abusive words").get_by_test_id("restore-button")).to_be_focused(
        timeout=5000
    )

    moderate(watching, comment(watching, "Abusive words"), "restore-button", "context was fine")
    expect(comment(reader, "Abusive words")).to_have_count(1, timeout=5000)
    # Back in its place (time order), not at the end.
    expect(reader.get_by_test_id("comment").last).to_contain_text("Abusive words")
    for page in (acting, watching):
        item = comment(page, "Abusive words")
        expect(item.get_by_test_id("hidden-badge")).to_have_count(0, timeout=5000)
        expect(item.get_by_test_id("hide-button")).to_be_visible()
    assert all(no_reload(p) for p in (acting, watching, reader))
    for context in (volunteer, agent, public):
        context.close()


def test_a_moderator_on_a_french_phone_hides_and_restores_and_the_reader_follows_live(
    server: Daphne, browser: Any
) -> None:
    """A trusted volunteer on a phone, in French, hides a comment by tapping the page's own
    buttons (with a reason): their copy marks it "Masqué" and focuses "Rétablir"; a neighbour
    already reading the page loses the text live, and gets it back when it is restored."""
    from playwright.sync_api import expect

    ticket_id = new_ticket(server, "Broken swing in the playground")
    new_comment(server, ticket_id, "Second neighbour: the chain is loose")
    new_comment(server, ticket_id, "Insults aimed at the caretaker")
    phone = browser.new_context(locale="fr-FR", viewport=PHONE, has_touch=True, is_mobile=True)
    login(phone, server, "volunteer")
    public = browser.new_context(locale="en-US", viewport=DESKTOP)
    acting = open_page(phone, server, ticket_id)
    reader = open_page(public, server, ticket_id)
    expect(acting.locator("html")).to_have_attribute("lang", "fr")
    expect(comment(reader, "Insults aimed")).to_have_count(1)

    def answer(item: Any, label: str, reason: str) -> None:
        """Tap the comment's French button, then give the reason the form asks for."""
        item.get_by_role("button", name=label, exact=True).tap()
        form = item.get_by_test_id("moderation-form")
        expect(form).to_contain_text("Raison (gardée dans le journal de modération)")
        expect(form.locator("input[name=reason]")).to_be_focused()
        form.locator("input[name=reason]").fill(reason)
        form.get_by_role("button", name=label, exact=True).tap()
        expect(form).to_have_count(0, timeout=5000)

    item = comment(acting, "Insults aimed")
    expect(item.get_by_test_id("hide-button")).to_have_text("Masquer")
    answer(item, "Masquer", "insulte un agent")
    expect(item.get_by_test_id("hidden-badge")).to_have_text("Masqué", timeout=5000)
    expect(item.get_by_test_id("hide-button")).to_have_count(0)
    restore = item.get_by_test_id("restore-button")
    expect(restore).to_have_text("Rétablir")
    expect(restore).to_be_focused(timeout=5000)
    expect(comment(reader, "Insults aimed")).to_have_count(0, timeout=5000)
    expect(reader.get_by_test_id("comment-list")).not_to_contain_text("Insults aimed")
    expect(comment(reader, "Second neighbour")).to_have_count(1)

    answer(item, "Rétablir", "le contexte était correct")
    expect(comment(reader, "Insults aimed")).to_have_count(1, timeout=5000)
    expect(reader.get_by_test_id("comment").last).to_contain_text("Insults aimed")
    expect(item.get_by_test_id("hidden-badge")).to_have_count(0, timeout=5000)
    expect(item.get_by_test_id("hide-button")).to_have_text("Masquer")
    expect(item.get_by_test_id("hide-button")).to_be_focused(timeout=5000)
    assert no_reload(acting) and no_reload(reader)
    phone.close()
    public.close()


def test_a_moderator_takes_a_ticket_down_and_open_pages_follow(
    server: Daphne, browser: Any
) -> None:
    from playwright.sync_api import expect

    ticket_id = new_ticket(server, "Phone number 555-0123 in the title")
    volunteer = browser.new_context(locale="en-US", viewport=DESKTOP)
    login(volunteer, server, "volunteer")
    public = browser.new_context(locale="en-US", viewport=PHONE)
    acting = open_page(volunteer, server, ticket_id)
    reader = open_page(public, server, ticket_id)
    expect(acting.get_by_test_id("ticket-restore-button")).to_be_hidden()  # not taken down yet

    moderate(acting, acting.locator("[data-ticket-tools]"), "takedown-button", "phone number")
    expect(reader.get_by_test_id("ticket-taken-down")).to_be_visible(timeout=5000)
    expect(reader.locator("h1")).to_have_text("This ticket was taken down by moderators.")
    expect(reader.locator("body")).not_to_contain_text("555-0123")
    expect(acting.get_by_test_id("ticket-hidden-banner")).to_be_visible(timeout=5000)
    expect(acting.get_by_test_id("ticket-restore-button")).to_be_visible()
    expect(acting.get_by_test_id("takedown-button")).to_be_hidden()

    moderate(acting, acting.locator("[data-ticket-tools]"), "ticket-restore-button", "removed")
    expect(acting.get_by_test_id("ticket-hidden-banner")).to_be_hidden(timeout=5000)
    # The public socket was closed at the takedown (4404): its copy stays quiet (the restore
    # does not reach it), and a new visit shows the ticket again.
    reader.wait_for_timeout(1000)
    expect(reader.get_by_test_id("ticket-taken-down")).to_be_visible()
    reader.reload()
    expect(reader.locator("h1")).to_contain_text("555-0123", timeout=5000)
    volunteer.close()
    public.close()


def test_a_neighbour_flags_the_ticket_itself(server: Daphne, browser: Any) -> None:
    from playwright.sync_api import expect

    ticket_id = new_ticket(server, "Someone's full address in here")
    context = browser.new_context(locale="en-US", viewport=PHONE)
    page = open_page(context, server, ticket_id)
    tools = page.locator("[data-ticket-tools]")
    page.get_by_test_id("ticket-flag-button").click()
    tools.get_by_test_id("flag-form").locator("select[name=reason]").select_option("personal_info")
    tools.get_by_test_id("flag-form").locator("[type=submit]").click()
    expect(tools.get_by_test_id("flag-done")).to_be_visible(timeout=5000)
    context.close()


def test_the_agent_answers_in_one_box_and_the_citizen_sees_all_of_it_live(
    server: Daphne, browser: Any
) -> None:
    from playwright.sync_api import expect

    ticket_id = new_ticket(server, "Pothole outside the bakery")
    agent = browser.new_context(locale="en-US", viewport=DESKTOP)
    login(agent, server, "agent")
    citizen = browser.new_context(locale="fr-FR", viewport=PHONE)
    answering = open_page(agent, server, ticket_id)
    reading = open_page(citizen, server, ticket_id)
    reading.locator("[data-testid=map] .ticket-pin").wait_for()
    expect(reading.locator("[data-testid=map] .ticket-pin-open")).to_have_count(1)
    updated_before = reading.get_by_test_id("ticket-updated").get_attribute("datetime")

    # One reply box: the text, then the status choice.
    form = answering.get_by_test_id("comment-form")
    expect(form.locator("textarea[name=body]")).to_have_count(1)
    # No second "Note (optional)" box per transition any more.
    expect(answering.locator("#actions textarea, .transition-form")).to_have_count(0)
    form.locator("textarea[name=body]").fill("Crew booked for Thursday morning.")
    form.get_by_test_id("transition-acknowledge").click()

    status = reading.get_by_test_id("ticket-status")
    expect(status).to_have_attribute("data-status", "acknowledged", timeout=5000)
    expect(status).to_have_text("Pris en charge")
    entry = reading.get_by_test_id("status-change").last
    expect(entry).to_contain_text("Ouvert → Pris en charge")
    expect(entry.get_by_test_id("status-note")).to_have_text("Crew booked for Thursday morning.")
    expect(reading.get_by_test_id("ticket-updated")).not_to_have_attribute(
        "datetime", updated_before or ""
    )
    expect(reading.locator("[data-testid=map] .ticket-pin-acknowledged")).to_have_count(1)
    # The agent's copy too, and the box is empty and offers what comes next.
    expect(answering.get_by_test_id("status-change").last).to_contain_text("Crew booked")
    expect(form.locator("textarea[name=body]")).to_have_value("")
    expect(answering.get_by_test_id("transition-acknowledge")).to_have_count(0, timeout=5000)
    expect(answering.get_by_test_id("transition-close")).to_be_visible()
    # A plain comment from the same box lands after the status change: one timeline.
    form.locator("textarea[name=body]").fill("Cones are in place meanwhile.")
    form.get_by_test_id("comment-submit").click()
    expect(reading.get_by_test_id("comment-list").locator("> li").last).to_contain_text(
        "Cones are in place", timeout=5000
    )
    assert no_reload(reading) and no_reload(answering)
    agent.close()
    citizen.close()


def test_reopening_from_the_reply_box_needs_a_reason(server: Daphne, browser: Any) -> None:
    from playwright.sync_api import expect

    ticket_id = new_ticket(server, "Streetlight out on Pine")
    status, answer = http(
        "POST",
        f"{server.url}/api/v1/tickets/{ticket_id}/transitions/",
        {"action": "close", "note": "Bulb replaced."},
        auth(server, "agent"),
    )
    assert status == 200, answer
    context = browser.new_context(locale="en-US", viewport=PHONE)
    login(context, server, "citizen")
    page = open_page(context, server, ticket_id)
    form = page.get_by_test_id("comment-form")
    form.get_by_test_id("transition-reopen").click()
    expect(page.get_by_test_id("reply-message")).to_have_text(
        "Say why the ticket should be reopened."
    )
    assert page.evaluate("document.activeElement.name") == "body"
    expect(page.get_by_test_id("ticket-status")).to_have_attribute("data-status", "closed")
    form.locator("textarea[name=body]").fill("Still dark tonight.")
    form.get_by_test_id("transition-reopen").click()
    expect(page.get_by_test_id("ticket-status")).to_have_attribute(
        "data-status", "open", timeout=5000
    )
    expect(page.get_by_test_id("status-change").last).to_contain_text("Still dark tonight.")
    context.close()


STORM_TEXTS = {
    "en": {
        "slow": "Slow mode: one comment every 30 seconds.",
        "held": "Awaiting review",
        "again": r"Post again in \d+ s",
        "refused": "Slow mode",
    },
    "fr": {
        "slow": "Mode lent : un commentaire toutes les 30 secondes.",
        "held": "En attente de modération",
        "again": r"Publier à nouveau dans \d+ s",
        "refused": "mode lent",
    },
}


@pytest.mark.parametrize(
    ("lang", "viewport"),
    [("en", PHONE), ("fr", PHONE), ("en", DESKTOP), ("fr", DESKTOP)],
    ids=["phone-en", "phone-fr", "desktop-en", "desktop-fr"],
)
def test_in_the_storm_event_link_rules_held_post_and_countdown(
    server: Daphne, browser: Any, lang: str, viewport: dict[str, int]
) -> None:
    """A ticket inside the demo storm's area (seed_storm: premoderation, slow mode of 30 s), as
    a neighbour without an account sees it: the event's link, its rules before the box, its
    announcement; a post is held for review and the button counts down. axe on a phone, with
    all of that on screen."""
    from playwright.sync_api import expect

    ticket_id = new_ticket(server, f"Ice on the school steps {lang}", **IN_THE_STORM)
    texts = STORM_TEXTS[lang]
    # axe is injected as a script tag: the strict CSP (rightly) refuses it otherwise.
    context = browser.new_context(
        locale="fr-FR" if lang == "fr" else "en-US", viewport=viewport, bypass_csp=True
    )
    page = open_page(context, server, ticket_id)
    expect(page.get_by_test_id("event-link")).to_have_attribute("href", "/events/snowstorm/")
    expect(page.get_by_test_id("event-link")).to_be_visible()
    expect(page.get_by_test_id("event-announcement")).to_contain_text("warming centre")
    rules = page.get_by_test_id("event-rules")
    expect(rules.get_by_test_id("rule-slow-mode")).to_have_text(texts["slow"])
    expect(rules.get_by_test_id("rule-premoderation")).to_be_visible()
    # The rules come before the box, where people read before they type.
    form = page.get_by_test_id("comment-form")
    assert rules.bounding_box()["y"] < form.locator("textarea").bounding_box()["y"]
    form.locator("textarea[name=body]").fill("Salt is needed here")
    submit = form.get_by_test_id("comment-submit")
    submit.click()
    held = comment(page, "Salt is needed")
    expect(held).to_have_count(1, timeout=5000)
    expect(held).to_contain_text(texts["held"])
    expect(submit).to_be_disabled()
    expect(submit).to_have_text(re.compile(texts["again"]))
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"] + 1
    if viewport is PHONE:
        submit.scroll_into_view_if_needed()
        assert axe_problems(page) == []
        expect(submit).to_be_disabled()  # checked while the countdown was on screen
        expect(submit).to_be_in_viewport()

    # Another tab knows nothing of the wait: the server's 429 shows the countdown too.
    other = open_page(context, server, ticket_id)
    other_form = other.get_by_test_id("comment-form")
    other_form.locator("textarea[name=body]").fill("And sand too")
    other_form.get_by_test_id("comment-submit").click()
    expect(other.get_by_test_id("reply-message")).to_contain_text(texts["refused"], timeout=5000)
    expect(other_form.get_by_test_id("comment-submit")).to_have_text(re.compile(texts["again"]))
    expect(other_form.get_by_test_id("comment-submit")).to_be_disabled()
    expect(other_form.locator("textarea[name=body]")).to_have_value("And sand too")
    context.close()


@pytest.mark.parametrize("locale", ["en-US", "fr-FR"])
def test_on_a_phone_actions_come_before_the_counters(
    server: Daphne, browser: Any, locale: str
) -> None:
    from playwright.sync_api import expect

    ticket_id = new_ticket(server, "Fallen branch on the bike lane")
    context = browser.new_context(locale=locale, viewport=PHONE)
    page = open_page(context, server, ticket_id)
    counters = page.get_by_test_id("view-count").bounding_box()["y"]
    for testid in ("reply-link", "follow-button", "vote-button"):
        assert page.get_by_test_id(testid).bounding_box()["y"] < counters, testid
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    if locale == "fr-FR":
        expect(page.get_by_test_id("reply-link")).to_have_text("Répondre")
        expect(page.get_by_test_id("flag-button")).to_have_count(0)
        expect(page.get_by_test_id("ticket-flag-button")).to_have_text("Signaler ce ticket")
        expect(page.get_by_test_id("comment-submit")).to_have_text("Publier le commentaire")
    page.get_by_test_id("reply-link").click()
    assert page.evaluate("document.activeElement.id") == "comment-body"
    context.close()


@pytest.mark.parametrize("who", ["anonymous", "volunteer"])
def test_axe_finds_nothing_serious_on_the_ticket_page(
    server: Daphne, browser: Any, who: str
) -> None:
    ticket_id = new_ticket(server, "Blocked storm drain")
    new_comment(server, ticket_id, "Water is rising")
    # axe is injected as a script tag: the strict CSP (rightly) refuses it otherwise.
    context = browser.new_context(locale="en-US", viewport=DESKTOP, bypass_csp=True)
    if who != "anonymous":
        login(context, server, who)
    page = open_page(context, server, ticket_id)
    item = comment(page, "Water is rising")
    item.get_by_test_id("flag-button").click()  # the open forms are checked too
    if who != "anonymous":
        page.locator("[data-ticket-tools]").get_by_test_id("takedown-button").click()
    page.locator("[data-testid=map] .leaflet-container").first.wait_for()
    assert axe_problems(page) == []
    context.close()


def test_server_and_live_dates_look_the_same(server: Daphne, browser: Any) -> None:
    from playwright.sync_api import expect

    ticket_id = new_ticket(server, "Graffiti on the library")
    new_comment(server, ticket_id, "Rendered by the server")
    for locale in ("en-US", "fr-FR"):
        context = browser.new_context(locale=locale, viewport=DESKTOP)
        page = open_page(context, server, ticket_id)
        new_comment(server, ticket_id, f"Rendered live {locale}")
        expect(comment(page, f"Rendered live {locale}")).to_have_count(1, timeout=5000)
        served = comment(page, "Rendered by the server").locator("time").inner_text()
        live = comment(page, f"Rendered live {locale}").locator("time").inner_text()
        # Same day, same shape: only the minutes may differ.
        assert re.sub(r"\d{1,2}:\d{2}", "", served) == re.sub(r"\d{1,2}:\d{2}", "", live)
        context.close()


def test_a_nameless_comment_is_signed_in_the_readers_language_live(
    server: Daphne, browser: Any
) -> None:
    """A neighbour with no account comments from an English page; the French page open on the
    ticket signs it "Anonyme" as it arrives, as after a reload (it said "Anonymous", the
    writer's word, until the event said the author gave no name)."""
    from playwright.sync_api import expect

    ticket_id = new_ticket(server, "Bench snowed in by the river")
    french_context = browser.new_context(locale="fr-FR", viewport=PHONE)
    english_context = browser.new_context(locale="en-US", viewport=DESKTOP)
    french = open_page(french_context, server, ticket_id)
    english = open_page(english_context, server, ticket_id)
    form = english.get_by_test_id("comment-form")
    form.locator("textarea[name=body]").fill("Nobody has cleared it yet")
    form.locator("[type=submit]").click()
    for page, word in ((french, "Anonyme"), (english, "Anonymous")):
        author = comment(page, "Nobody has cleared it yet").locator(".comment-author")
        expect(author).to_have_text(word, timeout=5000)
    assert no_reload(french)
    french.reload()
    author = comment(french, "Nobody has cleared it yet").locator(".comment-author")
    expect(author).to_have_text("Anonyme")
    french_context.close()
    english_context.close()
