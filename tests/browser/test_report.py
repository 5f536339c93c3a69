"""The report form as a neighbour in a storm uses it (issue 18): a phone (390×844) and a
desktop, English and French, real daphne and Chromium. Tap "Use my location", tap a
category, write a title, send: no coordinate typed. Also: the browser's own check before
upload, photos kept across a server-side error, "me too" on a similar report, `?event=`,
the send bar drawn above the map, and axe."""

from __future__ import annotations

import io
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.browser.test_ux import axe_problems, watch_csp
from tests.realtime.processes import Daphne, chromium, demo_server, http, token

pytestmark = [pytest.mark.browser, pytest.mark.processes]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
OLD_PORT = {"latitude": 45.5052, "longitude": -73.5523}  # inside the Old Port borough
PARIS = {"latitude": 48.85, "longitude": 2.35}  # outside every jurisdiction
# Inside the demo storm's drawn area (moderation/management/commands/seed_storm.py AREA),
# away from its seeded tickets.
IN_THE_STORM = {"latitude": 45.5535, "longitude": -73.6265}
TEXTS = {
    "en": {
        "send": "Send the report",
        "thanks": "Thank you",
        "locate": "Use my location",
        "finding": "Finding your location…",
        "report_here": "Report a problem in this event",
    },
    "fr": {
        "send": "Envoyer le signalement",
        "thanks": "Merci",
        "locate": "Utiliser ma position",
        "finding": "Recherche de votre position…",
        "report_here": "Signaler un problème dans cette situation",
    },
}


@pytest.fixture(scope="module")
def server() -> Any:
    yield from demo_server()


@pytest.fixture(scope="module")
def browser() -> Any:
    yield from chromium()


def png_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 120, 200)).save(out, format="PNG")
    return out.getvalue()


def neighbour(browser: Any, lang: str, viewport: dict[str, int], where: dict[str, float]) -> Any:
    """A browser context whose device knows where it is, and allows the page to ask."""
    return browser.new_context(
        locale="fr-FR" if lang == "fr" else "en-US",
        viewport=viewport,
        geolocation=where,
        permissions=["geolocation"],
    )


def tap_location(page: Any, lang: str, where: dict[str, float]) -> None:
    """Tap "Use my location" and wait for the device's answer to be in the form. The marker
    alone proves nothing after a server-side error: the form comes back with the old point."""
    from playwright.sync_api import expect

    page.get_by_role("button", name=TEXTS[lang]["locate"]).click()
    expect(page.locator("input[name=lat]")).to_have_value(f"{where['latitude']:.6f}")
    expect(page.locator("input[name=long]")).to_have_value(f"{where['longitude']:.6f}")
    expect(page.get_by_test_id("map")).to_have_attribute("data-has-marker", "true")


def declare_storm(server: Daphne, prefix: str) -> str:
    """An active emergency event, declared by the demo admin through the API."""
    slug = f"{prefix}-{uuid.uuid4().hex[:6]}"
    key = token(server.url, "admin", "demo-admin")
    status, answer = http(
        "POST",
        f"{server.url}/api/v1/events/",
        {
            "name": f"Snowstorm {slug}",
            "slug": slug,
            "description": "Sidewalks first.",
            "starts_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
            "premoderate_anonymous": True,
            "slow_mode_seconds": 30,
        },
        headers={"Authorization": f"Token {key}"},
    )
    assert status == 201, answer
    return slug


def ticket_id(page: Any) -> int:
    found = re.search(r"/tickets/(\d+)/$", page.url)
    assert found, page.url
    return int(found.group(1))


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_neighbour_reports_in_the_storm_from_a_phone_in_under_a_minute(
    server: Daphne, browser: Any, lang: str
) -> None:
    """Issue 18's bar, as a thumb does it: from the home page, through the storm banner and the
    event's page, to a ticket filed into the storm; taps only, typing nothing but a title."""
    from playwright.sync_api import expect

    context = browser.new_context(
        locale="fr-FR" if lang == "fr" else "en-US",
        viewport=PHONE,
        has_touch=True,
        is_mobile=True,
        geolocation=IN_THE_STORM,
        permissions=["geolocation"],
    )
    page = context.new_page()
    problems = watch_csp(page)
    started = time.monotonic()
    page.goto(f"{server.url}/")
    assert page.locator("html").get_attribute("lang") == lang
    page.locator("[data-testid=event-banner-link][href='/events/snowstorm/']").tap()
    page.wait_for_url(re.compile(r"/events/snowstorm/$"))
    page.get_by_role("link", name=TEXTS[lang]["report_here"]).tap()
    page.wait_for_url(re.compile(r"/tickets/new/\?event=snowstorm$"))
    expect(page.locator("input[name=lat]")).to_be_hidden()  # no coordinate to type
    page.get_by_role("button", name=TEXTS[lang]["locate"]).tap()
    expect(page.get_by_test_id("map")).to_have_attribute("data-has-marker", "true")
    page.locator("[data-testid=category][data-code=snow]").tap()
    expect(page.locator("input[name=service_code][value=snow]")).to_be_checked()
    title = f"Snowbank {lang} {uuid.uuid4().hex[:6]}"
    page.locator("input[name=title]").tap()
    page.keyboard.type(title)
    page.get_by_role("button", name=TEXTS[lang]["send"]).tap()
    page.wait_for_url(re.compile(r"/tickets/\d+/$"))
    expect(page.locator("h1")).to_have_text(title)
    expect(page.locator(".messages")).to_contain_text(TEXTS[lang]["thanks"])
    elapsed = time.monotonic() - started
    assert elapsed < 60, f"{elapsed:.1f} s from / to the ticket page"
    # Filed into the storm: the page links to it, and the API says so.
    expect(page.get_by_test_id("event-link")).to_have_attribute("href", "/events/snowstorm/")
    status, ticket = http("GET", f"{server.url}/api/v1/tickets/{ticket_id(page)}/")
    assert status == 200 and ticket["event"] == "snowstorm", ticket
    assert abs(ticket["lat"] - IN_THE_STORM["latitude"]) < 1e-4
    assert problems == []
    context.close()


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_report_on_a_desktop_by_clicking_without_typing_a_coordinate(
    server: Daphne, browser: Any, lang: str
) -> None:
    from playwright.sync_api import expect

    context = neighbour(browser, lang, DESKTOP, OLD_PORT)
    page = context.new_page()
    problems = watch_csp(page)
    started = time.monotonic()
    page.goto(f"{server.url}/tickets/new/")
    assert page.locator("html").get_attribute("lang") == lang
    # The coordinates are there for the form, but tucked away: nobody has to see them.
    expect(page.locator("input[name=lat]")).to_be_hidden()
    tap_location(page, lang, OLD_PORT)
    page.locator("[data-testid=category][data-code=snow]").click()
    title = f"Unploughed {lang} {uuid.uuid4().hex[:6]}"
    page.fill("input[name=title]", title)
    page.fill("input[name=email]", "never.shown@example.net")
    page.get_by_role("button", name=TEXTS[lang]["send"]).click()
    page.wait_for_url(re.compile(r"/tickets/\d+/$"))
    expect(page.locator("h1")).to_have_text(title)
    expect(page.locator(".messages")).to_contain_text(TEXTS[lang]["thanks"])
    assert time.monotonic() - started < 60
    assert "never.shown" not in page.content()
    status, ticket = http("GET", f"{server.url}/api/v1/tickets/{ticket_id(page)}/")
    assert status == 200 and ticket["jurisdiction"] == "old-port", ticket
    assert ticket["event"] is None, ticket  # the Old Port is outside the storm's area
    assert abs(ticket["lat"] - OLD_PORT["latitude"]) < 1e-4
    assert "never.shown" not in str(ticket)
    assert problems == []
    context.close()


def test_the_browser_checks_the_form_before_anything_is_sent(server: Daphne, browser: Any) -> None:
    from playwright.sync_api import expect

    context = neighbour(browser, "en", PHONE, OLD_PORT)
    page = context.new_page()
    page.goto(f"{server.url}/tickets/new/")
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.get_by_role("button", name="Send the report").click()
    expect(page.get_by_test_id("form-errors")).to_be_visible()
    expect(page.locator('[data-error-for="location"]')).to_contain_text("use your location")
    expect(page.locator('[data-error-for="service_code"]')).to_contain_text("type of problem")
    expect(page.locator('[data-error-for="title"]')).to_contain_text("short title")
    expect(page.get_by_test_id("locate-button")).to_be_focused()  # the first thing to fix
    # Too many photos, or not an image: said here, before any upload.
    page.set_input_files(
        "#photo-camera",
        files=[{"name": "doc.pdf", "mimeType": "application/pdf", "buffer": b"%PDF"}],
    )
    expect(page.locator("[data-photo-problems]")).to_contain_text("doc.pdf")
    # Categories are operable from the keyboard: arrows move the choice.
    first = page.locator("input[name=service_code]").first
    first.focus()
    page.keyboard.press("Space")
    expect(first).to_be_checked()
    page.keyboard.press("ArrowDown")
    expect(page.locator("input[name=service_code]").nth(1)).to_be_checked()
    expect(page.locator('[data-error-for="service_code"]')).to_be_empty()
    assert posts == []  # nothing left the browser
    context.close()


def test_photos_are_kept_across_a_server_side_error(server: Daphne, browser: Any) -> None:
    from playwright.sync_api import expect

    context = neighbour(browser, "fr", PHONE, PARIS)
    page = context.new_page()
    page.goto(f"{server.url}/tickets/new/")
    tap_location(page, "fr", PARIS)  # in Paris: no jurisdiction here, only the server knows
    page.locator("[data-testid=category][data-code=snow]").click()
    title = f"Trottoir glacé {uuid.uuid4().hex[:6]}"
    page.fill("input[name=title]", title)
    page.set_input_files(
        "#photo-camera",
        files=[{"name": "trottoir.png", "mimeType": "image/png", "buffer": png_bytes()}],
    )
    page.get_by_role("button", name="Envoyer le signalement").click()
    expect(page.get_by_test_id("form-errors")).to_be_visible()
    expect(page.get_by_test_id("kept-photo")).to_have_text("trottoir.png")
    expect(page.locator("input[name=title]")).to_have_value(title)
    # The error page's own scripts (deferred) have run: "Use my location" answers a tap.
    page.wait_for_load_state()

    context.set_geolocation(OLD_PORT)  # walked back home
    tap_location(page, "fr", OLD_PORT)
    page.get_by_role("button", name="Envoyer le signalement").click()
    page.wait_for_url(re.compile(r"/tickets/\d+/$"))
    expect(page.get_by_test_id("ticket-photo")).to_have_count(1)  # not attached again
    context.close()


# A phone whose position comes only when the test says so (a cold GPS): the device's answer
# is held in the page until `window.fixlineGivePosition()`, so no timing decides the test.
HELD_POSITION = """
(() => {
  const geo = navigator.geolocation;
  const find = geo.getCurrentPosition.bind(geo);
  const held = [];
  window.fixlineHeldPositions = () => held.length;
  window.fixlineGivePosition = () => held.splice(0).forEach((give) => give());
  geo.getCurrentPosition = (found, failed, options) =>
    find((position) => held.push(() => found(position)), failed, options);
})();
"""


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_send_tapped_before_the_position_came_waits_for_it(
    server: Daphne, browser: Any, lang: str
) -> None:
    """A thumb faster than the phone: "Send" right after "Use my location". The report is held
    until the position comes, then goes by itself, once, with that position."""
    from playwright.sync_api import expect

    context = neighbour(browser, lang, PHONE, OLD_PORT)
    context.add_init_script(HELD_POSITION)
    page = context.new_page()
    page.goto(f"{server.url}/tickets/new/")
    page.locator("[data-testid=category][data-code=snow]").click()
    title = f"Black ice {lang} {uuid.uuid4().hex[:6]}"
    page.fill("input[name=title]", title)
    status, before = http("GET", f"{server.url}/api/v1/tickets/?page_size=1")
    assert status == 200, before
    page.get_by_role("button", name=TEXTS[lang]["locate"]).click()
    page.get_by_role("button", name=TEXTS[lang]["send"]).click()
    # Said where the thumb is, on the send bar, and in the status line under the button.
    expect(page.get_by_test_id("send-button")).to_have_text(TEXTS[lang]["finding"])
    expect(page.get_by_test_id("send-button")).to_be_disabled()
    expect(page.locator("[data-locate-status]")).to_have_text(TEXTS[lang]["finding"])
    expect(page.get_by_test_id("form-errors")).to_be_hidden()  # not refused for no location
    page.wait_for_function("window.fixlineHeldPositions() === 1")  # the device has answered
    assert page.url.endswith("/tickets/new/")  # and nothing went before its position
    page.evaluate("window.fixlineGivePosition()")
    page.wait_for_url(re.compile(r"/tickets/\d+/$"))
    expect(page.locator("h1")).to_have_text(title)
    status, ticket = http("GET", f"{server.url}/api/v1/tickets/{ticket_id(page)}/")
    assert status == 200, ticket
    assert abs(ticket["lat"] - OLD_PORT["latitude"]) < 1e-4
    assert abs(ticket["long"] - OLD_PORT["longitude"]) < 1e-4
    status, after = http("GET", f"{server.url}/api/v1/tickets/?page_size=1")
    assert after["count"] == before["count"] + 1  # sent once
    context.close()


def test_me_too_on_a_similar_report_votes_instead_of_filing(server: Daphne, browser: Any) -> None:
    from playwright.sync_api import expect

    point = {"latitude": 45.5071, "longitude": -73.5541}
    status, existing = http(
        "POST",
        f"{server.url}/api/v1/tickets/",
        {
            "title": "Ice sheet on Quay St",
            "service_code": "snow",
            "lat": point["latitude"],
            "long": point["longitude"],
        },
    )
    assert status == 201, existing
    status, before = http("GET", f"{server.url}/api/v1/tickets/?page_size=1")
    context = neighbour(browser, "en", PHONE, point)
    page = context.new_page()
    page.goto(f"{server.url}/tickets/new/")
    tap_location(page, "en", point)
    page.locator("[data-testid=category][data-code=snow]").click()
    similar = page.get_by_test_id("similar")
    expect(similar).to_be_visible(timeout=5000)
    item = similar.locator("[data-testid=similar-item]").filter(has_text="Ice sheet on Quay St")
    expect(item.get_by_role("link")).to_have_attribute("href", f"/tickets/{existing['id']}/")
    item.get_by_test_id("me-too").click()
    expect(item.get_by_test_id("me-too-done")).to_contain_text(f"#{existing['id']}")
    expect(page).to_have_url(re.compile(r"/tickets/new/$"))  # nothing filed
    status, after = http("GET", f"{server.url}/api/v1/tickets/{existing['id']}/")
    assert after["votes"] == 1
    status, now = http("GET", f"{server.url}/api/v1/tickets/?page_size=1")
    assert now["count"] == before["count"]
    context.close()


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_report_from_the_events_link_is_filed_into_the_event(
    server: Daphne, browser: Any, lang: str
) -> None:
    from playwright.sync_api import expect

    slug = declare_storm(server, f"storm-{lang}")
    context = neighbour(browser, lang, PHONE, OLD_PORT)
    page = context.new_page()
    page.goto(f"{server.url}/tickets/new/?event={slug}")
    expect(page.get_by_test_id("report-event")).to_contain_text(f"Snowstorm {slug}")
    expect(page.get_by_test_id("report-event-rules")).to_contain_text("30")
    tap_location(page, lang, OLD_PORT)
    page.locator("[data-testid=category][data-code=snow]").click()
    page.fill("input[name=title]", f"Stuck bus shelter {slug}")
    page.get_by_role("button", name=TEXTS[lang]["send"]).click()
    page.wait_for_url(re.compile(r"/tickets/\d+/$"))
    status, ticket = http("GET", f"{server.url}/api/v1/tickets/{ticket_id(page)}/")
    assert ticket["event"] == slug, ticket

    page.goto(f"{server.url}/tickets/new/?event=no-such-storm")
    expect(page.get_by_test_id("event-error")).to_be_visible()
    context.close()


def test_the_send_bar_is_drawn_above_the_map_on_a_phone(server: Daphne, browser: Any) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(locale="en-US", viewport=PHONE)
    page = context.new_page()
    # The event's card and the errors of a first try push the map down into the bar's band.
    page.goto(f"{server.url}/tickets/new/?event={declare_storm(server, 'bar')}")
    page.locator("[data-testid=map] .leaflet-control-zoom").wait_for()
    page.get_by_test_id("send-button").click()
    expect(page.get_by_test_id("form-errors")).to_be_visible()
    # Scroll the map through the bar's band, 20 px at a time: the bar's button stays on top.
    covered = page.evaluate(
        """() => {
          const button = document.querySelector('[data-testid=send-button]');
          const map = document.querySelector('[data-testid=map]');
          const zoom = map.querySelector('.leaflet-control-zoom');
          const top = map.getBoundingClientRect().top + window.scrollY;
          const bad = [];
          let checked = 0;
          for (let y = 0; y < top + map.offsetHeight; y += 10) {
            window.scrollTo(0, y);
            const r = button.getBoundingClientRect();
            const z = zoom.getBoundingClientRect();
            if (z.top < r.bottom && z.bottom > r.top) checked += 1;  // the controls pass under
            // Across the whole button at mid-height (its label included), and its centre.
            for (let x = r.left + 4; x < r.right - 4; x += 10) {
              const hit = document.elementFromPoint(x, r.top + r.height / 2);
              if (!button.contains(hit)) bad.push(y + '/' + Math.round(x) + ': ' + (hit ? hit.className : 'nothing'));
            }
            const centre = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
            if (!button.contains(centre)) bad.push(y + '/centre');
          }
          return {bad: bad, checked: checked};
        }"""
    )
    assert covered["checked"] > 0  # the map's controls did pass under the bar
    assert covered["bad"] == [], covered["bad"][:5]
    context.close()


def test_no_serious_accessibility_problem_on_the_form(server: Daphne, browser: Any) -> None:
    failures = {}
    for label, viewport, lang in (("phone", PHONE, "fr"), ("desktop", DESKTOP, "en")):
        context = browser.new_context(
            locale="fr-FR" if lang == "fr" else "en-US", viewport=viewport, bypass_csp=True
        )
        page = context.new_page()
        page.goto(f"{server.url}/tickets/new/")
        page.locator("[data-testid=map] .leaflet-container").wait_for()
        found = axe_problems(page)
        page.get_by_test_id("send-button").click()  # the page with its errors shown, too
        found += axe_problems(page)
        if found:
            failures[label] = found
        context.close()
    assert failures == {}


POTHOLE = {
    "en": {
        "group": "Streets",
        "question": "How deep is it?",
        "choice": "5 cm or more",
        "lanes": "Bike lane",
        "unfollowed": "You no longer follow this ticket.",
    },
    "fr": {
        "group": "Rues",
        "question": "Quelle profondeur ?",
        "choice": "5 cm ou plus",
        "lanes": "Piste cyclable",
        "unfollowed": "Vous ne suivez plus ce signalement.",
    },
}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_pothole_is_reported_with_its_questions_in_the_pages_language(
    server: Daphne, browser: Any, lang: str
) -> None:
    """What the city configured for a type (its group, its questions and their choices) is
    asked in the page's language, the answers read back in it, and what the follow button did
    is said in it too (all were English on French pages)."""
    from playwright.sync_api import expect

    words = POTHOLE[lang]
    context = browser.new_context(
        locale="fr-FR" if lang == "fr" else "en-US",
        viewport=PHONE,
        has_touch=True,
        is_mobile=True,
        geolocation=OLD_PORT,
        permissions=["geolocation"],
    )
    page = context.new_page()
    page.goto(f"{server.url}/tickets/new/")
    tap_location(page, lang, OLD_PORT)
    pothole = page.locator("[data-testid=category][data-code=pothole]")
    heading = pothole.locator("xpath=../preceding-sibling::p[@class='category-heading'][1]")
    expect(heading).to_have_text(words["group"])
    pothole.tap()
    questions = page.locator("[data-questions-for=pothole]")
    expect(questions).to_contain_text(words["question"])
    questions.get_by_label(words["choice"]).check()
    questions.get_by_label(words["lanes"]).check()
    page.locator("input[name=title]").fill(f"Pothole {lang} {uuid.uuid4().hex[:6]}")
    page.get_by_role("button", name=TEXTS[lang]["send"]).tap()
    page.wait_for_url(re.compile(r"/tickets/\d+/$"))
    answers = page.get_by_test_id("answers")
    for text in (words["question"], words["choice"], words["lanes"]):
        expect(answers).to_contain_text(text)
    # The reporter follows their own report; the button stops it and says so.
    page.get_by_test_id("unfollow-button").tap()
    expect(page.locator(".messages")).to_contain_text(words["unfollowed"])
    expect(page.get_by_test_id("follow-button")).to_be_visible()
    context.close()
