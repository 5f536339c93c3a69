"""The embeddable widget: latest tickets of an area, frameable, cookie-free, live."""

from __future__ import annotations

import functools
import http.server
import json
import re
import threading
import time
from typing import Any

import pytest
from django.test import Client

from tests.conftest import CITY_POINT
from tests.realtime.processes import Daphne, token
from tests.realtime.processes import http as call
from tests.realtime.test_browser import browser, server  # noqa: F401  (shared fixtures)


def _widget_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'class="fx-item" data-ticket-id="(\d+)"', html)]


@pytest.mark.django_db
def test_widget_lists_the_latest_tickets_of_its_area(
    world: dict[str, Any], make_ticket: Any
) -> None:
    borough = make_ticket(title="In the Old Port")
    city = make_ticket(title="Elsewhere in town", **CITY_POINT)
    answer = Client().get("/embed/?jurisdiction=old-port")
    assert answer.status_code == 200
    assert _widget_ids(answer.content.decode()) == [borough.pk]
    everything = Client().get("/embed/?jurisdiction=riverton").content.decode()
    assert _widget_ids(everything) == [city.pk, borough.pk]  # newest first
    boxed = Client().get("/embed/?bbox=-73.61,45.53,-73.59,45.55").content.decode()
    assert _widget_ids(boxed) == [city.pk]


@pytest.mark.django_db
def test_widget_can_be_framed_and_sets_no_cookie(world: dict[str, Any]) -> None:
    answer = Client().get("/embed/?jurisdiction=old-port")
    assert "X-Frame-Options" not in answer.headers
    assert "frame-ancestors *" in answer.headers.get("Content-Security-Policy", "")
    assert not answer.cookies
    home = Client().get("/")
    assert home.headers.get("X-Frame-Options") == "DENY"
    assert "frame-ancestors 'none'" in home.headers.get("Content-Security-Policy", "")


@pytest.mark.django_db
def test_widget_with_a_bad_filter_says_what_is_wrong(world: dict[str, Any]) -> None:
    answer = Client().get("/embed/?bbox=1,2,3")
    assert answer.status_code == 400
    assert "bbox" in answer.content.decode()


@pytest.mark.django_db
def test_widget_escapes_ticket_titles(world: dict[str, Any], make_ticket: Any) -> None:
    make_ticket(title='<img src=x onerror="alert(1)">')
    html = Client().get("/embed/?jurisdiction=old-port").content.decode()
    assert "<img src=x" not in html
    payload = json.loads(
        re.search(r'id="fx-tickets" type="application/json">(.*?)</script>', html).group(1)
    )
    assert payload[0]["title"] == '<img src=x onerror="alert(1)">'


@pytest.mark.django_db
def test_widget_docs_show_the_snippet_and_a_preview(world: dict[str, Any]) -> None:
    html = Client().get("/widget/").content.decode()
    assert "data-fixline-widget" in html and "fixline-embed.js" in html
    assert 'data-testid="embed-preview"' in html


@pytest.mark.browser
@pytest.mark.processes
def test_widget_in_a_news_page_goes_live(server: Daphne, browser: Any, tmp_path: Any) -> None:  # noqa: F811
    """A news site's page (another origin: a file) embeds the widget by the script snippet;
    a ticket filed afterwards appears in it without a reload."""
    from playwright.sync_api import expect

    news = tmp_path / "index.html"
    news.write_text(
        "<!doctype html><title>Riverton Gazette</title><h1>Local news</h1>"
        '<div data-fixline-widget data-jurisdiction="old-port"></div>'
        f'<script src="{server.url}/static/embed/fixline-embed.js"></script>'
    )
    # The news site is another origin: its own little server on another port.
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    page = browser.new_context().new_page()
    page.goto(f"http://127.0.0.1:{site.server_address[1]}/index.html")
    frame = page.frame_locator("iframe")
    expect(frame.locator("[data-testid=live-state]")).to_have_attribute(
        "data-state", "live", timeout=10_000
    )
    agent = token(server.url, "agent", "demo-agent")
    title = f"Widget live check {time.time():.0f}"
    status, answer = call(
        "POST",
        f"{server.url}/api/v1/tickets/",
        {"title": title, "service_code": "graffiti", "lat": 45.505, "long": -73.552},
        {"Authorization": f"Token {agent}"},
    )
    assert status == 201, answer
    expect(frame.locator(".fx-item a", has_text=title)).to_be_visible(timeout=5_000)
    page.context.close()
    site.shutdown()
