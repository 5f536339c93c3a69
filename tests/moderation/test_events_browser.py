"""Emergencies in real browsers against a real daphne on the demo (its snowstorm): an agent
declares an event in the console's form (drawing its area) and lands on its page; an
announcement posted on the event page reaches an open ticket page of the event and another
open event page; live rows on the French event page are French; axe finds nothing serious;
the widget speaks French."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tests.browser.test_ux import axe_problems, login, watch_csp
from tests.realtime.processes import Daphne, chromium, demo_server, http, token

# A daphne, a demo database and several Chromium contexts: slow on a busy machine.
pytestmark = [pytest.mark.browser, pytest.mark.processes, pytest.mark.timeout(400)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
STORM_POINT = {"lat": 45.553, "long": -73.628}  # inside the demo's snowstorm area


@pytest.fixture(scope="module")
def server() -> Any:
    yield from demo_server()


@pytest.fixture(scope="module")
def browser() -> Any:
    yield from chromium()


def storm_ticket(server: Daphne) -> int:
    status, answer = http("GET", f"{server.url}/api/v1/tickets/?event=snowstorm")
    assert status == 200, answer
    rows = answer["results"] if isinstance(answer, dict) else answer
    assert rows, "the demo's snowstorm has tickets"
    return int(rows[0]["id"])


def test_declare_an_event_with_a_drawn_area_then_a_report_inside_joins(
    server: Daphne, browser: Any
) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    context = browser.new_context(locale="en-US", viewport=DESKTOP)
    login(context, server, "agent")
    page = context.new_page()
    problems = watch_csp(page)
    page.goto(f"{server.url}/moderation/events/new/")
    form = page.get_by_test_id("event-form")
    # A wrong end first: the form says which field is wrong, nothing is declared.
    form.locator("[name=name]").fill("Ice storm")
    form.locator("[name=slug]").fill("ice-storm")
    start = timezone.now() - timedelta(hours=1)
    form.locator("[name=starts_at]").fill(start.strftime("%Y-%m-%dT%H:%M"))
    form.locator("[name=ends_at]").fill((start - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    form.locator("[type=submit]").click()
    expect(page.locator('[data-error-for="ends_at"]')).to_be_visible()
    # Then right, with an area drawn as a rectangle on the map.
    form = page.get_by_test_id("event-form")
    form.locator("[name=ends_at]").fill((start + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"))
    form.locator("[name=premoderate_anonymous]").check()
    form.locator("[name=slow_mode_seconds]").fill("15")
    area_map = page.get_by_test_id("event-area-map")
    area_map.scroll_into_view_if_needed()
    page.locator(".leaflet-pm-icon-rectangle").click()
    box = area_map.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
    page.mouse.click(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.7)
    expect(form.locator("[name=area]")).not_to_have_value("")
    form.locator("[type=submit]").click()
    page.wait_for_url(f"{server.url}/events/ice-storm/")
    expect(page.locator("h1")).to_have_text("Ice storm")
    expect(page.get_by_test_id("event-rules")).to_contain_text("reviewed")
    assert not problems, problems

    status, event = http("GET", f"{server.url}/api/v1/events/ice-storm/")
    assert status == 200 and event["area"]["type"] == "Polygon" and event["active"]

    # A report filed through the report form inside the drawn area joins the event on its own
    # (no `?event=`): the point typed as coordinates, the middle of the drawn rectangle.
    ring = event["area"]["coordinates"][0]
    long = sum(p[0] for p in ring[:-1]) / (len(ring) - 1)
    lat = sum(p[1] for p in ring[:-1]) / (len(ring) - 1)
    page.goto(f"{server.url}/tickets/new/")
    report = page.get_by_test_id("report-form")
    report.locator("[data-testid=category][data-code=pothole]").click()
    report.locator("input[name=title]").fill("Black ice on the bridge ramp")
    report.locator("textarea[name=description]").fill("Cars sliding since dawn.")
    report.get_by_label("5 cm or more").check()  # the pothole's required question
    page.get_by_test_id("coords").locator("summary").click()
    report.locator("input[name=lat]").fill(f"{lat:.6f}")
    report.locator("input[name=long]").fill(f"{long:.6f}")
    report.locator("[type=submit]").last.click()
    try:
        page.wait_for_url(re.compile(r".*/tickets/\d+/$"), timeout=15_000)
    except PlaywrightTimeout:  # the form came back: say why
        errors = page.locator(".field-error:not(:empty), [data-testid=form-errors]")
        raise AssertionError(errors.all_inner_texts()) from None
    ticket_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    status, filed = http("GET", f"{server.url}/api/v1/tickets/{ticket_id}/")
    assert status == 200 and filed["event"] == "ice-storm", filed
    assert filed["title"] == "Black ice on the bridge ramp"
    page.goto(f"{server.url}/events/ice-storm/")
    expect(
        page.locator(f'[data-testid=event-tickets] [data-ticket-id="{ticket_id}"]')
    ).to_contain_text("Black ice on the bridge ramp")
    assert not problems, problems
    context.close()


def test_an_announcement_reaches_open_ticket_and_event_pages(server: Daphne, browser: Any) -> None:
    from playwright.sync_api import expect

    ticket_id = storm_ticket(server)
    # A neighbour on a phone, in French, reading a ticket of the storm; another on the event page.
    neighbour = browser.new_context(locale="fr-FR", viewport=PHONE).new_page()
    neighbour.goto(f"{server.url}/tickets/{ticket_id}/")
    watcher = browser.new_context(locale="en-US", viewport=DESKTOP).new_page()
    watcher.goto(f"{server.url}/events/snowstorm/")
    for page in (neighbour, watcher):
        expect(page.get_by_test_id("live-state")).to_have_attribute(
            "data-state", "live", timeout=10_000
        )

    moderator_context = browser.new_context(locale="fr-FR", viewport=PHONE)
    login(moderator_context, server, "agent")
    moderator = moderator_context.new_page()
    moderator.goto(f"{server.url}/events/snowstorm/")
    form = moderator.get_by_test_id("announcement-form")
    body = "Salt trucks on Maple at 18:00 — move your cars."
    form.locator("textarea[name=body]").fill(body)
    form.locator("textarea[name=body]").press("Tab")
    moderator.keyboard.press("Enter")  # the submit button, by keyboard
    expect(moderator.get_by_test_id("announcement").first).to_contain_text(body, timeout=5_000)

    expect(neighbour.get_by_test_id("event-announcement")).to_contain_text(body, timeout=5_000)
    expect(neighbour.get_by_test_id("event-announcement")).to_be_visible()
    expect(watcher.get_by_test_id("announcement").first).to_contain_text(body, timeout=5_000)
    status, listed = http("GET", f"{server.url}/api/v1/events/snowstorm/announcements/")
    assert status == 200 and listed[0]["body"] == body
    for page in (neighbour, watcher, moderator):
        page.context.close()


def test_the_french_event_page_is_french_live_and_accessible(server: Daphne, browser: Any) -> None:
    from playwright.sync_api import expect

    for viewport in (PHONE, DESKTOP):
        context = browser.new_context(locale="fr-FR", viewport=viewport, bypass_csp=True)
        page = context.new_page()
        page.goto(f"{server.url}/events/snowstorm/")
        assert page.locator("html").get_attribute("lang") == "fr"
        expect(page.get_by_test_id("live-state")).to_have_attribute(
            "data-state", "live", timeout=10_000
        )
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"] + 1, width
        if viewport is DESKTOP:
            assert axe_problems(page) == []
            citizen = token(server.url, "citizen", "demo-citizen")
            status, created = http(
                "POST",
                f"{server.url}/api/v1/tickets/",
                {"title": "Congère devant le 12", "service_code": "snow", **STORM_POINT},
                {"Authorization": f"Token {citizen}"},
            )
            assert status == 201 and created["event"] == "snowstorm", created
            row = page.locator(f'[data-testid=event-tickets] [data-ticket-id="{created["id"]}"]')
            expect(row).to_be_visible(timeout=5_000)
            expect(row.locator("[data-status]")).to_have_text("Ouvert")
            expect(row).to_contain_text(
                "Ville de Riverton" if "Ville" in row.inner_text() else "Riverton"
            )
            text = row.inner_text()
            assert "riverton" not in text and " open" not in text, text
            # The type's French name, as on the rows rendered with the page.
            assert "Rue non déneigée" in text and "Unploughed" not in text, text
            agent = token(server.url, "agent", "demo-agent")
            status, _moved = http(
                "POST",
                f"{server.url}/api/v1/tickets/{created['id']}/transitions/",
                {"action": "acknowledge"},
                {"Authorization": f"Token {agent}"},
            )
            assert status == 200
            expect(row.locator("[data-status]")).to_have_text("Pris en charge", timeout=5_000)
        context.close()


def test_the_widget_speaks_french_in_a_french_page(server: Daphne, browser: Any) -> None:
    from playwright.sync_api import expect

    page = browser.new_context(locale="en-US").new_page()
    page.goto(f"{server.url}/embed/?event=snowstorm&lang=fr")
    expect(page.get_by_test_id("embed-list")).to_be_visible()
    expect(page.get_by_test_id("live-state")).to_have_attribute(
        "data-state", "live", timeout=10_000
    )
    labels = page.locator("[data-testid=embed-list] [data-status]").all_inner_texts()
    assert labels and set(labels) <= {"Ouvert", "Pris en charge", "Fermé"}, labels
    # Type names too: French on the rows rendered with the widget and on a live one.
    metas = page.locator("[data-testid=embed-list] .fx-meta").all_inner_texts()
    assert any("Rue non déneigée" in m for m in metas), metas
    assert not any("Unploughed" in m for m in metas), metas
    citizen = token(server.url, "citizen", "demo-citizen")
    status, created = http(
        "POST",
        f"{server.url}/api/v1/tickets/",
        {"title": "Trottoir glacé rue Ste-Anne", "service_code": "snow", **STORM_POINT},
        {"Authorization": f"Token {citizen}"},
    )
    assert status == 201 and created["event"] == "snowstorm", created
    live = page.locator(f'[data-testid=embed-list] [data-ticket-id="{created["id"]}"]')
    expect(live.locator(".fx-meta")).to_contain_text("Rue non déneigée", timeout=5_000)
    expect(live.locator(".fx-meta")).not_to_contain_text("Unploughed")
    expect(page.get_by_test_id("embed-announcements")).not_to_be_empty()
    page.context.close()


def test_the_widget_and_its_docs_are_accessible_in_both_languages(
    server: Daphne, browser: Any
) -> None:
    """axe on the widget and on its docs page (with its live preview), English and French,
    desktop and phone; nothing wider than the screen."""
    from playwright.sync_api import expect

    for locale, lang in (("en-US", "en"), ("fr-FR", "fr")):
        for viewport in (DESKTOP, PHONE):
            context = browser.new_context(locale=locale, viewport=viewport, bypass_csp=True)
            page = context.new_page()
            for url in (f"/embed/?event=snowstorm&lang={lang}", "/widget/"):
                page.goto(f"{server.url}{url}")
                assert page.locator("html").get_attribute("lang") == lang, url
                if url.startswith("/embed/"):
                    expect(page.get_by_test_id("embed-list")).to_be_visible()
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= viewport["width"] + 1, (url, viewport, width)
                assert axe_problems(page) == [], (url, lang, viewport)
            context.close()


def test_the_event_form_in_french_on_a_phone(server: Daphne, browser: Any) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(locale="fr-FR", viewport=PHONE, bypass_csp=True)
    login(context, server, "agent")
    page = context.new_page()
    page.goto(f"{server.url}/moderation/events/snowstorm/edit/")
    form = page.get_by_test_id("event-form")
    expect(form.locator("[name=name]")).to_have_value("Snowstorm")
    expect(form.locator("[type=submit]")).to_have_text("Enregistrer l’événement")
    area_map = page.get_by_test_id("event-area-map")
    expect(area_map).to_have_class(re.compile("leaflet-container"))
    expect(area_map.locator(".leaflet-pm-icon-polygon")).to_be_visible()  # the drawing tools
    expect(area_map.locator("path.leaflet-interactive").first).to_be_attached()  # its area
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, width
    assert axe_problems(page) == []
    context.close()


def test_the_widget_docs_page_does_not_scroll_sideways(server: Daphne, browser: Any) -> None:
    from playwright.sync_api import expect

    for viewport in (DESKTOP, PHONE):
        page = browser.new_context(locale="en-US", viewport=viewport).new_page()
        page.goto(f"{server.url}/widget/")
        expect(page.get_by_test_id("embed-preview")).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"] + 1, (viewport, width)
        preview = page.get_by_test_id("embed-preview").get_attribute("src") or ""
        assert "jurisdiction=old-port" in preview
        assert 'data-jurisdiction="old-port"' in page.get_by_test_id("embed-snippet").inner_text()
        page.context.close()


def test_an_open_french_phone_event_page_sees_its_feed_and_offers_live(
    server: Daphne, browser: Any
) -> None:
    """Issue 13: a neighbour on a phone, in French, keeps the event page open. A ticket joins
    the event, a neighbour's offer is accepted and a moderator announces: each appears in the
    page's activity feed (and the offer in its offers) without a reload, in French, never with
    the offer's contact or message. The page stays axe-clean and no wider than the phone."""
    from playwright.sync_api import expect

    context = browser.new_context(locale="fr-FR", viewport=PHONE, bypass_csp=True)
    page = context.new_page()
    problems = watch_csp(page)
    page.goto(f"{server.url}/events/snowstorm/")
    expect(page.get_by_test_id("live-state")).to_have_attribute(
        "data-state", "live", timeout=10_000
    )
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads
    feed = page.get_by_test_id("event-activity")
    expect(page.get_by_role("heading", name="Ce qui se passe")).to_be_visible()

    citizen = token(server.url, "citizen", "demo-citizen")
    status, created = http(
        "POST",
        f"{server.url}/api/v1/tickets/",
        {"title": "Borne-fontaine ensevelie", "service_code": "snow", **STORM_POINT},
        {"Authorization": f"Token {citizen}"},
    )
    assert status == 201 and created["event"] == "snowstorm", created
    joined = feed.locator(f'[data-kind=ticket][data-ticket-id="{created["id"]}"]')
    expect(joined).to_contain_text("Nouveau signalement", timeout=5_000)
    expect(joined).to_contain_text("Borne-fontaine ensevelie")
    expect(feed.locator("[data-testid=activity-item]").first).to_have_attribute(
        "data-key", f"ticket-{created['id']}"
    )  # newest first

    contact = "joignez-moi.4417@example.net"
    status, offered = http(
        "POST",
        f"{server.url}/api/v1/tickets/{created['id']}/offers/",
        {
            "message": "J'habite en face, je peux pelleter",
            "skills": "Pelle et sel",
            "availability": "ce soir",
            "contact": contact,
        },
        {"Authorization": f"Token {citizen}"},
    )
    assert status == 201, offered
    agent = token(server.url, "agent", "demo-agent")
    status, reviewed = http(
        "POST",
        f"{server.url}/api/v1/offers/{offered['id']}/review/",
        {"decision": "accept"},
        {"Authorization": f"Token {agent}"},
    )
    assert status == 200, reviewed
    accepted = feed.locator(f'[data-kind=accepted][data-key="offer-{offered["id"]}-accepted"]')
    expect(accepted).to_contain_text("Offre d'aide acceptée", timeout=5_000)
    expect(accepted).to_contain_text("Pelle et sel")
    row = page.locator(f'[data-testid=event-offer][data-offer-id="{offered["id"]}"]')
    expect(row).to_contain_text("Un voisin ou une voisine aide")
    expect(row).to_contain_text("Borne-fontaine ensevelie")

    body = "Centre de réchauffement ouvert à la bibliothèque."
    status, _announced = http(
        "POST",
        f"{server.url}/api/v1/events/snowstorm/announcements/",
        {"body": body},
        {"Authorization": f"Token {agent}"},
    )
    assert status == 201, _announced
    announced = feed.locator("[data-kind=announcement]").first
    expect(announced).to_contain_text(body, timeout=5_000)
    expect(announced).to_contain_text("Annonce")

    assert page.evaluate("window.__sameDocument === true"), "the page reloaded"
    html = page.content()
    for private in (contact, "joignez-moi", "J'habite en face", "ce soir"):
        assert private not in html, private
    for english in ("New ticket", "Offer of help accepted", "A neighbour"):
        assert english not in feed.inner_text() + row.inner_text(), english
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, width
    assert axe_problems(page) == []
    assert not problems, problems
    context.close()


def test_the_event_page_of_a_moderator_is_accessible_on_a_phone_and_a_desktop(
    server: Daphne, browser: Any
) -> None:
    """axe as a moderator (the announcement form, edit and end buttons, a pending offer with
    its console link) and as a neighbour on a phone, English and French."""
    from playwright.sync_api import expect

    ticket_id = storm_ticket(server)
    citizen = token(server.url, "citizen", "demo-citizen")
    status, pending = http(
        "POST",
        f"{server.url}/api/v1/tickets/{ticket_id}/offers/",
        {"message": "I can help", "skills": "Ladder", "contact": "ladder.person@example.net"},
        {"Authorization": f"Token {citizen}"},
    )
    assert status == 201, pending
    for locale in ("en-US", "fr-FR"):
        for viewport in (PHONE, DESKTOP):
            context = browser.new_context(locale=locale, viewport=viewport, bypass_csp=True)
            login(context, server, "agent")
            page = context.new_page()
            page.goto(f"{server.url}/events/snowstorm/")
            expect(page.get_by_test_id("live-state")).to_have_attribute(
                "data-state", "live", timeout=10_000
            )
            for testid in ("announcement-form", "event-edit", "event-end"):
                expect(page.get_by_test_id(testid)).to_be_visible()
            row = page.locator(f'[data-testid=event-offer][data-offer-id="{pending["id"]}"]')
            expect(row.get_by_test_id("event-offer-review")).to_be_visible()
            assert "ladder.person" not in page.content()
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"] + 1, (locale, viewport, width)
            assert axe_problems(page) == [], (locale, viewport)
            context.close()
    # A neighbour on a phone: no moderator's tools, no pending offer.
    for locale in ("en-US", "fr-FR"):
        context = browser.new_context(locale=locale, viewport=PHONE, bypass_csp=True)
        page = context.new_page()
        page.goto(f"{server.url}/events/snowstorm/")
        expect(page.get_by_test_id("event-activity")).to_be_visible()
        assert page.get_by_test_id("announcement-form").count() == 0
        assert page.locator(f'[data-offer-id="{pending["id"]}"]').count() == 0
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"] + 1, (locale, width)
        assert axe_problems(page) == [], locale
        context.close()
