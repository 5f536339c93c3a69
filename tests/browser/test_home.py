"""Issue 18 in a real Chromium against a real daphne, on a 390×844 phone (and a desktop for
the accessibility checks), in English and French: the home page's first screen, the storm
banner, "Near me", one date format with relative times, type names in French, the alerts map,
and axe on the home, notifications and alerts pages."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from tests.browser.test_ux import axe_problems, login, watch_csp
from tests.realtime.processes import Daphne, chromium, demo_env, demo_server, http, shell, token

# The site is migrated and seeded once per module: slow on a loaded 2-core machine.
pytestmark = [pytest.mark.browser, pytest.mark.processes, pytest.mark.timeout(400)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
MARKET = {"latitude": 45.5121, "longitude": -73.5601}  # next to "Pothole near the market"
STORM = {"name": "Snowstorm Ada", "slug": "snowstorm-ada", "starts_at": "2020-01-01T00:00:00Z"}


SITE: dict[str, dict[str, str]] = {}  # the running site's environment, for manage.py shell


@pytest.fixture(scope="module")
def server() -> Any:
    # make run's shape: the worker inside daphne writes the bell and pushes it live.
    env = demo_env(prefix="fixline-home-", FIXLINE_EMBEDDED_WORKER="1")
    for daphne in demo_server(env):
        SITE[daphne.url] = env
        # An agent declares a storm on the running site: every page shows it at once.
        agent = token(daphne.url, "agent", "demo-agent")
        status, answer = http(
            "POST", f"{daphne.url}/api/v1/events/", STORM, {"Authorization": f"Token {agent}"}
        )
        assert status == 201, answer
        yield daphne


@pytest.fixture(scope="module")
def browser() -> Any:
    yield from chromium()


# Where the layout or the language changes what a neighbour sees: both sizes, both languages.
SIZES_AND_LANGUAGES = pytest.mark.parametrize(
    ("lang", "viewport"),
    [("en", PHONE), ("fr", PHONE), ("en", DESKTOP), ("fr", DESKTOP)],
    ids=["phone-en", "phone-fr", "desktop-en", "desktop-fr"],
)
TEXTS = {
    "en": {
        "any_status": "Any status",
        "updated": r"Updated (just now|\d+\s\w+ ago|.+ ago)",
        "nearest": "Nearest first.",
        "emergency": "Emergency in progress:",
        "distance": r"(\d+) m away|(\d+\.\d) km away",
    },
    "fr": {
        "any_status": "Tous les statuts",
        "updated": r"Mis à jour (à l’instant|il y a .+)",
        "nearest": "Les plus proches d’abord.",
        "emergency": "Situation d’urgence en cours",
        "distance": r"à (\d+) m|à (\d+,\d) km",
    },
}


def person(browser: Any, lang: str, viewport: dict[str, int], **extra: Any) -> Any:
    """A phone is touched (and says so), a desktop is clicked."""
    phone = viewport is PHONE
    return browser.new_context(
        locale="fr-FR" if lang == "fr" else "en-US",
        viewport=viewport,
        has_touch=phone,
        is_mobile=phone,
        **extra,
    )


def press(locator: Any, viewport: dict[str, int]) -> None:
    if viewport is PHONE:
        locator.tap()
    else:
        locator.click()


@SIZES_AND_LANGUAGES
def test_first_screen_is_the_map_and_open_tickets(
    server: Daphne, browser: Any, lang: str, viewport: dict[str, int]
) -> None:
    from playwright.sync_api import expect

    context = person(browser, lang, viewport)
    page = context.new_page()
    problems = watch_csp(page)
    page.goto(f"{server.url}/")
    assert page.locator("html").get_attribute("lang") == lang
    leaflet = page.locator("[data-testid=map] .leaflet-container")
    expect(leaflet).to_be_visible()
    rows = page.locator("[data-testid=ticket-row]")
    expect(rows.first).to_be_visible()
    # On the first screen, without scrolling: the map and the first open ticket.
    assert leaflet.bounding_box()["y"] < viewport["height"]
    assert rows.first.bounding_box()["y"] < viewport["height"], rows.first.bounding_box()
    statuses = rows.evaluate_all("rs => rs.map(r => r.dataset.status)")
    assert statuses and "closed" not in statuses, statuses
    # No filter field until "Filters" is opened, with the keyboard.
    status = page.locator("select[name=status]")
    expect(status).to_be_hidden()
    page.locator("[data-testid=filters-toggle]").focus()
    page.keyboard.press("Enter")
    expect(status).to_be_visible()
    options = status.locator("option").all_inner_texts()
    assert options[0] == TEXTS[lang]["any_status"], options
    assert not any("---" in o for o in options), options
    expect(page.locator("input[name=updated_since]")).to_have_attribute("type", "datetime-local")
    # A filter shows the closed ones.
    press(page.locator("input[name=closed]"), viewport)
    expect(page.locator("input[name=closed]")).to_be_checked()
    press(page.locator("[data-testid=filter-form] button[type=submit]"), viewport)
    page.wait_for_url(re.compile(r"closed=1"))
    assert "closed" in rows.evaluate_all("rs => rs.map(r => r.dataset.status)")
    # Relative times that read well.
    times = page.locator("[data-testid=ticket-updated]").all_inner_texts()
    assert all(re.fullmatch(TEXTS[lang]["updated"], t) for t in times), times
    assert not any(re.search(r"\b0\s(minutes|minute)\b", t) for t in times), times
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"] + 1
    assert problems == []
    context.close()


@SIZES_AND_LANGUAGES
def test_near_me_asks_for_the_location_and_sorts_nearest_first(
    server: Daphne, browser: Any, lang: str, viewport: dict[str, int]
) -> None:
    from playwright.sync_api import expect

    context = person(browser, lang, viewport, geolocation=MARKET, permissions=["geolocation"])
    page = context.new_page()
    page.goto(f"{server.url}/")
    press(page.locator("[data-testid=near-me]"), viewport)
    page.wait_for_url(re.compile(r"near="))
    near = parse_qs(urlparse(page.url).query)["near"][0]
    assert [round(float(v), 3) for v in near.split(",")] == [45.512, -73.56]
    first = page.locator("[data-testid=ticket-row]").first
    # The nearest open ticket to the market ("Pothole near the market" itself is closed).
    assert first.locator(".ticket-title").inner_text() == "Snowbank blocks the bus stop"
    expect(first).to_be_in_viewport()
    distances = []
    for text in page.locator("[data-testid=ticket-distance]").all_inner_texts():
        found = re.fullmatch(TEXTS[lang]["distance"], text)
        assert found, text
        metres, km = found.groups()
        distances.append(float(metres) if metres else float(km.replace(",", ".")) * 1000)
    assert len(distances) > 3 and distances == sorted(distances), distances
    expect(page.get_by_test_id("home-order")).to_contain_text(TEXTS[lang]["nearest"])
    expect(page.locator("[data-testid=near-me]")).to_have_attribute("aria-pressed", "true")
    context.close()


@SIZES_AND_LANGUAGES
def test_storm_banner_on_every_page_links_to_the_event(
    server: Daphne, browser: Any, lang: str, viewport: dict[str, int]
) -> None:
    from playwright.sync_api import expect

    context = person(browser, lang, viewport)
    page = context.new_page()
    for path in ("/", "/tickets/new/", "/alerts/"):
        page.goto(f"{server.url}{path}")
        banner = page.locator("[data-testid=event-banner]")
        expect(banner).to_be_visible()
        expect(banner).to_contain_text("Snowstorm Ada")
        expect(banner).to_contain_text(TEXTS[lang]["emergency"])
        box = banner.bounding_box()
        assert box["y"] < 300  # at the top, not below the fold
        more = banner.locator(".storm-banner-more").first
        if viewport is PHONE:
            # Short on a phone: the storm's name, the words for screen readers only.
            assert box["height"] < viewport["height"] * 0.15, box
            assert more.bounding_box()["width"] <= 1
        else:
            expect(more).to_be_visible()
    link = page.locator("[data-testid=event-banner-link][href='/events/snowstorm-ada/']")
    assert link.bounding_box()["height"] >= 20  # big enough for a thumb
    press(link, viewport)
    page.wait_for_url(re.compile(r"/events/snowstorm-ada/$"))
    expect(page.locator("h1")).to_contain_text("Snowstorm Ada")
    expect(page.locator("[data-testid=event-nav-link]").first).to_have_attribute(
        "aria-current", "page"
    )
    context.close()


def test_french_dates_relative_times_and_type_names(server: Daphne, browser: Any) -> None:
    context = browser.new_context(locale="fr-FR", viewport=PHONE, timezone_id="UTC")
    page = context.new_page()
    page.goto(f"{server.url}/?closed=1")
    types = page.locator("[data-testid=ticket-type]").all_inner_texts()
    assert "Nid-de-poule" in types and "Pothole" not in types, types
    times = page.locator("[data-testid=ticket-updated]").all_inner_texts()
    assert all(re.fullmatch(r"Mis à jour (à l’instant|il y a .+)", t) for t in times), times
    # The ticket page's dates are what the browser's Intl writes, to the character.
    page.locator("[data-testid=ticket-row] .ticket-title").first.click()
    page.wait_for_url(re.compile(r"/tickets/\d+/"))
    stamp = page.locator("time[data-testid=ticket-updated]")
    server_text = stamp.inner_text()
    browser_text = page.evaluate(
        "(iso) => new Intl.DateTimeFormat(document.documentElement.lang, {dateStyle: 'medium',"
        " timeStyle: 'short', timeZone: 'UTC'}).format(new Date(iso))",
        stamp.get_attribute("datetime"),
    )
    assert server_text == browser_text, (server_text, browser_text)
    assert re.fullmatch(r"\d{1,2} \S+ \d{4}, \d{2}:\d{2}", server_text), server_text
    context.close()


@pytest.mark.parametrize(
    ("lang", "viewport"), [("en", PHONE), ("fr", DESKTOP)], ids=["phone-en", "desktop-fr"]
)
def test_alerts_map_fills_the_area(
    server: Daphne, browser: Any, lang: str, viewport: dict[str, int]
) -> None:
    from playwright.sync_api import expect

    context = person(browser, lang, viewport)
    page = context.new_page()
    problems = watch_csp(page)
    # The ticket page's "Alert me about this street" opens the map centred there.
    page.goto(f"{server.url}/")
    press(page.locator("[data-testid=ticket-row] .ticket-title").first, viewport)
    press(page.locator("[data-testid=alert-street-link]"), viewport)
    page.wait_for_url(re.compile(r"/alerts/\?lat="))
    query = parse_qs(urlparse(page.url).query)
    lat, long = float(query["lat"][0]), float(query["long"][0])
    bbox = page.locator("input[name=bbox]")
    expect(bbox).not_to_have_value("")
    min_long, min_lat, max_long, max_lat = map(float, bbox.input_value().split(","))
    assert min_long < long < max_long and min_lat < lat < max_lat
    assert max_long - min_long < 0.05  # a street, not the city
    # Dragging the map moves the area. A drag that lands while the map is still settling on
    # the street (its opening animation) is ignored by Leaflet, as for a person, who drags
    # again: up to three drags (this failed twice in 2026-12-03's runs with a single drag).
    canvas = page.locator("[data-testid=map] .leaflet-container")
    box = canvas.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    before = bbox.input_value()
    for _ in range(3):
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x - 120, y + 60, steps=8)
        page.mouse.up()
        page.wait_for_timeout(700)
        if bbox.input_value() != before:
            break
    expect(bbox).not_to_have_value(before, timeout=5000)
    moved = list(map(float, bbox.input_value().split(",")))
    assert moved[0] > min_long and moved[1] > min_lat, (moved, min_long, min_lat)
    page.fill("input[name=email]", "street@example.net")
    press(page.locator("[data-testid=alert-form] button[type=submit]"), viewport)
    expect(page.locator("h1")).to_have_text(
        "Consultez votre boîte de réception" if lang == "fr" else "Check your inbox"
    )
    assert problems == []
    context.close()


def test_accessibility_of_home_notifications_and_alerts(server: Daphne, browser: Any) -> None:
    failures: dict[str, list[str]] = {}
    for label, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        context = browser.new_context(locale="fr-FR", viewport=viewport, bypass_csp=True)
        login(context, server, "citizen")
        page = context.new_page()
        for path in ("/", "/notifications/", "/alerts/?lat=45.505&long=-73.552"):
            response = page.goto(f"{server.url}{path}")
            assert response is not None and response.status == 200, path
            if path != "/notifications/":
                page.locator("[data-testid=map] .leaflet-container").first.wait_for()
            if path == "/":
                page.locator("[data-testid=filters-toggle]").click()  # the fields too
            found = axe_problems(page)
            if found:
                failures[f"{label} {path}"] = found
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"] + 1, (label, path, width)
        context.close()
    assert failures == {}, failures


NOTIFY_TEXTS = {
    "en": {
        "commented": "commented on #",
        "just_now": "just now",
        "ago": r"\d+\s(minute|minutes) ago",
        "mark": "Mark all as read",
    },
    "fr": {
        "commented": "a commenté",
        "just_now": "à l’instant",
        "ago": r"il y a \d+\s(minute|minutes)",
        "mark": "Tout marquer comme lu",
    },
}


@pytest.mark.parametrize(
    ("lang", "viewport"), [("en", DESKTOP), ("fr", PHONE)], ids=["desktop-en", "phone-fr"]
)
def test_a_follower_sees_the_answer_arrive_on_the_notifications_page(
    server: Daphne, browser: Any, lang: str, viewport: dict[str, int]
) -> None:
    """A signed-in neighbour follows a ticket, keeps the notifications page open; an agent
    answers: it is added at the top, live, "just now" in the page's language; later it says how
    long ago; "Mark all as read" clears the unread marks and the bell."""
    from playwright.sync_api import expect

    agent = {"Authorization": f"Token {token(server.url, 'agent', 'demo-agent')}"}
    title = f"Dark crossing {lang} {viewport['width']}"
    status, ticket = http(
        "POST",
        f"{server.url}/api/v1/tickets/",
        {"title": title, "service_code": "streetlight", "lat": 45.54, "long": -73.6},
        agent,
    )
    assert status == 201, ticket
    # axe is injected as a script tag: the strict CSP (rightly) refuses it otherwise.
    context = person(browser, lang, viewport, bypass_csp=True)
    login(context, server, "citizen")
    page = context.new_page()
    page.goto(f"{server.url}/tickets/{ticket['id']}/")
    press(page.get_by_test_id("follow-button"), viewport)
    expect(page.get_by_test_id("unfollow-button")).to_be_visible()

    page.goto(f"{server.url}/notifications/")
    bell = page.get_by_test_id("notification-bell")
    expect(bell).to_have_attribute("data-live", "live", timeout=5000)
    count = page.get_by_test_id("notification-count")
    unread_before = int(count.get_attribute("data-count") or "0")
    status, _ = http(
        "POST",
        f"{server.url}/api/v1/tickets/{ticket['id']}/comments/",
        {"body": "A crew is on the way."},
        agent,
    )
    assert status == 201
    texts = NOTIFY_TEXTS[lang]
    newest = page.get_by_test_id("notification").filter(has_text=title)
    expect(newest).to_be_visible(timeout=10_000)
    expect(newest).to_contain_text(texts["commented"])  # in the page's language
    expect(newest).to_have_class(re.compile(r"\bunread\b"))
    expect(newest.get_by_test_id("notification-time")).to_have_text(texts["just_now"])
    # The bell counts it, and agrees with the list (the worker may still be telling of the
    # demo's own seeded events: more may come, never fewer, and the two stay in step).
    page.wait_for_function(
        """(before) => {
          const bell = +document.querySelector('[data-testid=notification-count]').dataset.count;
          const marked = document.querySelectorAll('[data-testid=notification].unread').length;
          return bell > before && bell === marked;
        }""",
        arg=unread_before,
        timeout=5000,
    )
    expect(page.get_by_test_id("notifications-mark-read")).to_be_visible()
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
    # Newest first, whatever order the pushes came in.
    stamps = page.locator("[data-testid=notification] time").evaluate_all(
        "ts => ts.map(t => Date.parse(t.getAttribute('datetime')))"
    )
    assert stamps == sorted(stamps, reverse=True), stamps
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"] + 1
    assert axe_problems(page) == []

    # Three minutes later (the site's clock is moved back, not the test's wait).
    shell(
        SITE[server.url],
        "from datetime import timedelta; from django.utils import timezone; "
        "from notifications.models import Notification; "
        f"Notification.objects.filter(ticket_id={ticket['id']}).update("
        "created_at=timezone.now() - timedelta(minutes=3)); print('ok')",
    )
    page.reload()
    newest = page.get_by_test_id("notification").filter(has_text=title)
    assert re.fullmatch(texts["ago"], newest.get_by_test_id("notification-time").inner_text())

    press(page.get_by_role("button", name=texts["mark"]), viewport)
    page.wait_for_load_state()
    expect(page.locator("[data-testid=notification].unread")).to_have_count(0)
    expect(count).to_be_hidden()
    expect(page.get_by_test_id("notifications-mark-read")).to_be_hidden()
    context.close()


@pytest.mark.parametrize(
    ("lang", "viewport"), [("fr", PHONE), ("en", DESKTOP)], ids=["phone-fr", "desktop-en"]
)
def test_a_buried_follower_sees_99_plus_on_the_bell_live(
    server: Daphne, browser: Any, lang: str, viewport: dict[str, int]
) -> None:
    """A neighbour with a hundred unread notifications (a storm on a ticket they follow) sees
    "99+" on the bell, and it stays "99+" as new ones arrive live."""
    from playwright.sync_api import expect

    agent = {"Authorization": f"Token {token(server.url, 'agent', 'demo-agent')}"}
    status, ticket = http(
        "POST",
        f"{server.url}/api/v1/tickets/",
        {"title": "Buried street", "service_code": "snow", "lat": 45.54, "long": -73.6},
        agent,
    )
    assert status == 201, ticket
    shell(
        SITE[server.url],
        "from django.contrib.auth.models import User; "
        "from notifications.models import Notification; "
        f"u = User.objects.create_user('buried-{lang}', password='demo-buried-{lang}'); "
        "Notification.objects.bulk_create(Notification(user=u, key=f'event:old-{i}', "
        f"kind='comment.created', ticket_id={ticket['id']}) for i in range(99)); print('ok')",
    )
    context = person(browser, lang, viewport)
    login(context, server, f"buried-{lang}")
    page = context.new_page()
    # The bell's socket, as the page receives it: each comment's push must have arrived before
    # the count is checked (from the first one on, "99+" is already on the bell).
    pushes: list[str] = []

    def on_socket(socket: Any) -> None:
        def on_frame(payload: str | bytes) -> None:
            if isinstance(payload, str) and '"notification.created"' in payload:
                pushes.append(payload)

        socket.on("framereceived", on_frame)

    page.on("websocket", on_socket)
    page.goto(f"{server.url}/tickets/{ticket['id']}/")
    count = page.get_by_test_id("notification-count")
    expect(count).to_have_text("99")
    expect(page.get_by_test_id("notification-bell")).to_have_attribute(
        "data-live", "live", timeout=5000
    )
    press(page.get_by_test_id("follow-button"), viewport)
    expect(page.get_by_test_id("unfollow-button")).to_be_visible()
    for pushed, body in enumerate(("The plough is coming.", "The street is clear."), 1):
        status, _ = http(
            "POST", f"{server.url}/api/v1/tickets/{ticket['id']}/comments/", {"body": body}, agent
        )
        assert status == 201
        deadline = time.monotonic() + 10
        while len(pushes) < pushed and time.monotonic() < deadline:
            page.wait_for_timeout(50)
        assert len(pushes) == pushed, pushes
        page.wait_for_timeout(200)  # the page's own handler has drawn it
        expect(count).to_have_text("99+")
        expect(count).to_have_attribute("data-count", "100")
    context.close()
