"""The citizen's and the agent's experience in a real Chromium against a real daphne:
reporting on a phone in French with a pin and a photo, the live map, the live dashboard,
axe-core accessibility checks and the README screenshots (docs/screenshots/)."""

from __future__ import annotations

import io
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.realtime.processes import ROOT, Daphne, chromium, demo_server, http, token

pytestmark = [pytest.mark.browser, pytest.mark.processes]

AXE = ROOT / "static" / "vendor" / "axe" / "axe.min.js"
# The README's pictures are refreshed with FIXLINE_UPDATE_SCREENSHOTS=1; otherwise the
# screenshots (still taken: they are the layout check) go to a temporary directory.
SCREENSHOTS = (
    ROOT / "docs" / "screenshots"
    if os.environ.get("FIXLINE_UPDATE_SCREENSHOTS") == "1"
    else Path(tempfile.mkdtemp(prefix="fixline-screenshots-"))
)
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def server() -> Any:
    # No map tiles (demo_env): no network here, and the map must work without them anyway.
    yield from demo_server()


@pytest.fixture(scope="module")
def browser() -> Any:
    yield from chromium()


def png_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (800, 600), (30, 120, 200)).save(out, format="PNG")
    return out.getvalue()


def watch_csp(page: Any) -> list[str]:
    """Console errors a strict CSP (or a broken script) would produce."""
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and ("Content Security Policy" in m.text or "Uncaught" in m.text)
            else None
        ),
    )
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    return problems


def login(context: Any, server: Daphne, username: str) -> None:
    page = context.new_page()
    page.goto(f"{server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", f"demo-{username}")
    page.locator("main form [type=submit]").first.click()
    page.wait_for_load_state()
    page.close()


def axe_problems(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')))"
    )
    return list(result)


def test_report_on_a_phone_in_french_with_pin_and_photo(server: Daphne, browser: Any) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(locale="fr-FR", viewport=PHONE, has_touch=False)
    page = context.new_page()
    problems = watch_csp(page)
    page.goto(f"{server.url}/tickets/new/")
    assert page.locator("html").get_attribute("lang") == "fr"
    expect(page.locator("h1")).to_have_text("Signaler un problème")
    page.locator("[data-testid=category][data-code=snow]").click()
    page.fill("input[name=title]", "Rue non déneigée devant l'école")
    page.fill("textarea[name=description]", "Le trottoir est glissant.")
    canvas = page.locator("[data-testid=map] .leaflet-container")
    expect(canvas).to_be_visible()
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator("[data-testid=map] .leaflet-marker-draggable")).to_have_count(1)
    assert re.match(r"^45\.\d+", page.input_value("input[name=lat]"))
    assert re.match(r"^-73\.\d+", page.input_value("input[name=long]"))
    page.set_input_files(
        "input[name=photos]",
        files=[{"name": "trottoir.png", "mimeType": "image/png", "buffer": png_bytes()}],
    )
    expect(page.locator("[data-photo-previews] img")).to_have_count(1)
    page.get_by_role("button", name="Envoyer le signalement").click()
    page.wait_for_url(re.compile(r"/tickets/\d+/$"))
    expect(page.locator("h1")).to_have_text("Rue non déneigée devant l'école")
    expect(page.get_by_test_id("ticket-status")).to_have_text("Ouvert")
    photo = page.get_by_test_id("ticket-photo")
    expect(photo).to_have_count(1)
    # As a person would see it: scrolled to, and given the time to load (a loaded machine
    # took longer than the instant the assertion used to look).
    photo.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete", arg=photo.element_handle(), timeout=10_000)
    assert photo.evaluate("img => img.complete && img.naturalWidth") == 800
    expect(page.locator(".messages")).to_contain_text("Merci")
    assert problems == []
    context.close()


def test_live_map_and_dashboard(server: Daphne, browser: Any) -> None:
    from playwright.sync_api import expect

    home = browser.new_context(locale="en-US", viewport=DESKTOP).new_page()
    problems = watch_csp(home)
    home.goto(f"{server.url}/")
    the_map = home.get_by_test_id("map")
    expect(the_map).to_have_attribute("data-live", "live", timeout=5000)
    before = int(the_map.get_attribute("data-marker-count"))
    assert before > 0
    agent_context = browser.new_context(locale="en-US", viewport=DESKTOP)
    login(agent_context, server, "agent")
    board = agent_context.new_page()
    board.goto(f"{server.url}/dashboard/")
    expect(board.get_by_test_id("chart")).to_be_visible()
    expect(board.locator("[data-queue-live]")).to_have_attribute("data-live", "live", timeout=5000)
    rows = board.get_by_test_id("queue-row").count()

    status, created = http(
        "POST",
        f"{server.url}/api/v1/tickets/",
        {"title": "Live on the map", "service_code": "snow", "lat": 45.54, "long": -73.6},
    )
    assert status == 201, created
    expect(the_map).to_have_attribute("data-marker-count", str(before + 1), timeout=5000)
    expect(home.get_by_test_id("map-announcer")).to_contain_text("Live on the map")
    expect(board.get_by_test_id("queue-row")).to_have_count(rows + 1, timeout=5000)

    key = token(server.url, "agent", "demo-agent")
    status, _ = http(
        "POST",
        f"{server.url}/api/v1/tickets/{created['id']}/transitions/",
        {"action": "acknowledge"},
        headers={"Authorization": f"Token {key}"},
    )
    assert status == 200
    expect(the_map).to_have_attribute(
        "data-last-change", f"{created['id']}:acknowledged", timeout=5000
    )
    expect(
        board.locator(f"[data-testid=queue-row][data-ticket-id='{created['id']}']")
    ).to_have_attribute("data-status", "acknowledged", timeout=5000)
    assert problems == []


def test_an_agents_dashboard_in_french_on_a_phone_and_who_may_not_open_it(
    server: Daphne, browser: Any
) -> None:
    """The agent filters their queue by a type named in French and reads the open tickets per
    type in French (both were the English names); a volunteer who opens the dashboard is told
    why in French, in the site's frame, with a way back (it was Django's "403 Forbidden")."""
    from playwright.sync_api import expect

    agent = browser.new_context(locale="fr-FR", viewport=PHONE, has_touch=True, is_mobile=True)
    login(agent, server, "agent")
    board = agent.new_page()
    board.goto(f"{server.url}/dashboard/")
    expect(board.get_by_test_id("per-type")).to_contain_text("Rue non déneigée")
    assert "Unploughed street" not in board.get_by_test_id("per-type").inner_text()
    board.get_by_label("Type", exact=True).select_option(label="Nid-de-poule")
    board.get_by_role("button", name="Filtrer").tap()
    board.wait_for_url(re.compile(r"service_code=pothole"))
    rows = board.get_by_test_id("queue-row")
    expect(rows.first).to_be_visible()
    assert all("Nid-de-poule" in row.inner_text() for row in rows.all())
    assert board.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    agent.close()

    volunteer = browser.new_context(locale="fr-FR", viewport=PHONE, has_touch=True, is_mobile=True)
    login(volunteer, server, "volunteer")
    page = volunteer.new_page()
    answer = page.goto(f"{server.url}/dashboard/")
    assert answer is not None and answer.status == 403
    refused = page.get_by_test_id("forbidden")
    expect(refused).to_contain_text("Accès refusé")
    expect(refused).to_contain_text("Le tableau de bord est réservé aux agents des territoires.")
    refused.get_by_role("link", name="Retour aux signalements").tap()
    page.wait_for_url(f"{server.url}/")
    volunteer.close()


def storm_ticket(server: Daphne) -> int:
    """The demo storm's busiest ticket (seed_storm: an agent's answer, a held comment, an
    offer of help, the storm's announcement)."""
    status, answer = http("GET", f"{server.url}/api/v1/tickets/?q=Maple+Ave+not+ploughed")
    assert status == 200, answer
    rows = answer["results"] if isinstance(answer, dict) else answer
    found = [row for row in rows if row["event"] == "snowstorm"]
    assert found, rows
    return int(found[0]["id"])


def test_accessibility_and_screenshots(server: Daphne, browser: Any) -> None:
    from playwright.sync_api import expect

    ticket_id = storm_ticket(server)
    pages = {
        "home": "/",
        "ticket": f"/tickets/{ticket_id}/",
        "report": "/tickets/new/",
        "dashboard": "/dashboard/",
        "moderation": "/moderation/",
        "event": "/events/snowstorm/",  # seed_demo's storm (moderation/.../seed_storm.py)
    }
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    failures: dict[str, list[str]] = {}
    for label, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        # axe is injected as a script tag: the strict CSP (rightly) refuses it otherwise.
        context = browser.new_context(locale="en-US", viewport=viewport, bypass_csp=True)
        login(context, server, "agent")
        page = context.new_page()
        for name, path in pages.items():
            response = page.goto(f"{server.url}{path}")
            assert response is not None and response.status == 200, (path, response)
            page.wait_for_load_state("load")
            if name in ("home", "report", "ticket"):
                page.locator("[data-testid=map] .leaflet-container").first.wait_for()
            if name in ("ticket", "event"):  # pictured once its socket is live
                expect(page.get_by_test_id("live-state").first).to_have_attribute(
                    "data-state", "live", timeout=10_000
                )
            if label == "desktop":  # axe once per page; the layout check is the screenshot
                found = axe_problems(page)
                if found:
                    failures[name] = found
            page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=False)
            # Nothing wider than the phone screen.
            if label == "phone":
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= viewport["width"] + 1, (name, width)
        # Keyboard: the first Tab lands on the skip link, visibly focused.
        page.goto(f"{server.url}/")
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => [document.activeElement.className, getComputedStyle(document.activeElement)"
            ".outlineStyle]"
        )
        assert focused[0] == "skip-link" and focused[1] != "none", focused
        context.close()
    assert failures == {}, failures


def test_french_phone_screenshots_of_the_storm_report(server: Daphne, browser: Any) -> None:
    """The README's French pictures: the report form as the storm's event page opens it, and
    the storm's ticket page, live, on a 390×844 phone; axe on both, nothing wider than it."""
    from playwright.sync_api import expect

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(locale="fr-FR", viewport=PHONE, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{server.url}/tickets/new/?event=snowstorm")
    expect(page.locator("h1")).to_have_text("Signaler un problème")
    page.locator("[data-testid=map] .leaflet-container").wait_for()
    assert axe_problems(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    page.screenshot(path=str(SCREENSHOTS / "report-phone-fr.png"), full_page=False)
    page.goto(f"{server.url}/tickets/{storm_ticket(server)}/")
    expect(page.get_by_test_id("live-state")).to_have_attribute(
        "data-state", "live", timeout=10_000
    )
    expect(page.get_by_test_id("event-link")).to_have_text("Snowstorm")
    assert axe_problems(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    page.screenshot(path=str(SCREENSHOTS / "ticket-phone-fr.png"), full_page=False)
    context.close()
