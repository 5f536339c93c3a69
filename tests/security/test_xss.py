"""XSS corpus, server side: every payload (tests/security/xss_payloads.txt, after the OWASP
filter-evasion cheat sheet) goes in through every surface that stores user text, and no page,
feed, API answer or e-mail gives any of it back as live markup. The browser half
(test_browser.py) renders the same corpus in Chromium and records script execution."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from django.test import Client

from tests.security.conftest import assert_no_raw_payload, markup_problems, xss_payloads
from tests.security.corpus import plant

PAYLOADS = xss_payloads()


def test_the_corpus_is_big_enough() -> None:
    assert len(PAYLOADS) >= 50
    assert len(set(PAYLOADS)) == len(PAYLOADS)


def test_xss_corpus_through_every_surface(world: dict[str, Any]) -> None:
    """Plants the corpus once (about 10 s) and runs every surface check on it; a failing
    surface does not hide the others. To add a surface, add a check to CHECKS."""
    planted = plant(PAYLOADS)
    assert len(planted["tickets"]) == len(PAYLOADS)
    failures, skipped = [], list(planted["skipped"])
    for check in CHECKS:
        try:
            check(planted, world)
        except pytest.skip.Exception as exc:
            skipped.append(f"{check.__name__}: {exc}")
        except AssertionError as exc:
            failures.append(f"{check.__name__}: {exc}")
    if skipped:
        print("not covered yet:", *skipped, sep="\n  ")
    assert not failures, "\n".join(failures)


def _html(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def check_pages_escape_every_payload(planted: dict[str, Any], world: dict[str, Any]) -> None:
    anonymous = Client()
    agent = Client()
    agent.force_login(world["agent"])  # agents also see private answers and offers
    pages = ["/", "/?page=2", "/?page=3", f"/?q={PAYLOADS[0][:20]}"]
    pages += [f"/tickets/{pk}/" for pk in planted["tickets"] + planted["open311"]]
    for url in pages:
        assert_no_raw_payload(_html(anonymous, url), PAYLOADS, where=url)
    for url in [f"/tickets/{planted['tickets'][0]}/", f"/tickets/{planted['tickets'][1]}/"]:
        assert_no_raw_payload(_html(agent, url), PAYLOADS, where=f"{url} (agent)")
    for url in ["/moderation/", "/dashboard/"]:
        response = agent.get(url)
        if response.status_code == 404:
            continue
        assert_no_raw_payload(response.content.decode(), PAYLOADS, where=url)


def check_widget_escapes_every_payload(planted: dict[str, Any], world: dict[str, Any]) -> None:
    from tests.security.conftest import need_route

    need_route("/embed/", "the embed widget")
    client = Client()
    for url in ["/embed/", "/embed/?jurisdiction=riverton", "/embed/?service_code=pothole",
                "/embed/?status=open&jurisdiction=riverton"]:  # fmt: skip
        assert_no_raw_payload(_html(client, url), PAYLOADS, where=url)


def check_api_answers_are_json_never_html(planted: dict[str, Any], world: dict[str, Any]) -> None:
    client = Client()
    urls = ["/api/v1/tickets/", f"/api/v1/tickets/{planted['tickets'][0]}/"]
    urls += [f"/api/v1/tickets/{planted['comment_ticket']}/comments/"]
    urls += [f"/api/v1/tickets/{planted['tickets'][0]}/events/?since=0"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"].startswith("application/json"), url
        assert response["X-Content-Type-Options"] == "nosniff"
        json.loads(response.content)
    # body_html is the one field meant for innerHTML: it must be inert.
    for row in client.get(f"/api/v1/tickets/{planted['comment_ticket']}/comments/").json():
        assert_no_raw_payload(row["body_html"], PAYLOADS, where="comment body_html")


def _feed_html_texts(xml: bytes) -> list[str]:
    """The feed texts that readers render as HTML: RSS <description>, Atom elements of
    type="html". (RSS titles and Atom type="text" are plain text by the specs; XML escaping,
    checked by parsing, is what keeps them inert.)"""
    root = ET.fromstring(xml)
    texts = []
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "description" or element.attrib.get("type") in ("html", "xhtml"):
            texts.append(element.text or "")
    return texts


def check_feeds_carry_only_inert_text(planted: dict[str, Any], world: dict[str, Any]) -> None:
    client = Client()
    urls = [
        "/feeds/jurisdictions/riverton.rss",
        "/feeds/jurisdictions/riverton.atom",
        f"/feeds/tickets/{planted['comment_ticket']}.rss",
        f"/feeds/tickets/{planted['comment_ticket']}.atom",
        "/feeds/area.rss?bbox=-74,45,-73,46",
    ]
    for index, url in enumerate(urls):
        response = client.get(url)
        if response.status_code == 404 and index == 0:
            pytest.skip("feeds do not exist yet")
        assert response.status_code == 200, url
        for text in _feed_html_texts(response.content):
            problems = markup_problems(text)
            assert not problems, f"{url}: {problems[:3]} in {text[:120]!r}"


def check_exports_are_not_html(planted: dict[str, Any], world: dict[str, Any]) -> None:
    client = Client()
    for url, kind in (
        ("/api/v1/exports/tickets.csv", "text/csv"),
        ("/api/v1/exports/tickets.geojson", "application/"),
    ):
        response = client.get(url)
        if response.status_code == 404:
            continue
        assert response.status_code == 200, url
        assert response["Content-Type"].startswith(kind), (url, response["Content-Type"])
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert body


def check_csv_export_neutralises_formulas(planted: dict[str, Any], world: dict[str, Any]) -> None:
    """Spreadsheet formula injection: a title starting with = + - @ must not be a formula."""
    from tickets import services
    from tickets.identity import Actor

    services.ticket_create(
        actor=Actor(user=planted and _agent_user(), ip="192.0.2.9"),
        title='=HYPERLINK("https://evil.example","click")',
        service_code="pothole",
        answers={"depth": "deep"},
        lat=45.54,
        long=-73.6,
    )
    response = Client().get("/api/v1/exports/tickets.csv")
    if response.status_code == 404:
        pytest.skip("CSV export does not exist yet")
    body = b"".join(response.streaming_content).decode()
    assert ',=HYPERLINK("' not in body and "\n=HYPERLINK" not in body and '"=HYPERLINK' not in body


def _agent_user() -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="agent")


def check_emails_are_escaped(planted: dict[str, Any], world: dict[str, Any]) -> None:
    try:
        from notifications.models import Delivery
    except ImportError:
        pytest.skip("notifications do not exist yet")
    deliveries = list(Delivery.objects.all())
    if not deliveries:
        pytest.skip(f"no e-mail was produced: {planted['skipped']}")
    for delivery in deliveries:
        assert_no_raw_payload(delivery.body_html, PAYLOADS, where=f"e-mail {delivery.pk} html")
        assert "\n" not in delivery.subject and "\r" not in delivery.subject


def check_payloads_are_stored_verbatim(planted: dict[str, Any], world: dict[str, Any]) -> None:
    """Escaping happens on output: what people wrote is kept as written (no lossy filter
    that a smarter payload would get through)."""
    from tickets.models import Comment

    bodies = set(Comment.objects.values_list("body", flat=True))
    assert set(PAYLOADS) <= bodies


CHECKS = [
    check_pages_escape_every_payload,
    check_widget_escapes_every_payload,
    check_api_answers_are_json_never_html,
    check_feeds_carry_only_inert_text,
    check_exports_are_not_html,
    check_csv_export_neutralises_formulas,
    check_emails_are_escaped,
    check_payloads_are_stored_verbatim,
]
