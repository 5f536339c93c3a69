"""RSS 2.0 and Atom feeds: they parse, hold the right items, and carry nothing private."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import CITY_POINT, actor_for
from tickets import services
from tickets.models import Comment, EmergencyEvent, Ticket

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
SECRET = "secret.reporter@example.net"


def rss(client: Client, url: str) -> ET.Element:
    answer = client.get(url)
    assert answer.status_code == 200, answer.content
    assert answer["Content-Type"].startswith("application/rss+xml")
    assert SECRET.encode() not in answer.content
    root = ET.fromstring(answer.content)
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel is not None and channel.findtext("title") and channel.findtext("link")
    assert channel.findtext("description") is not None
    for item in channel.findall("item"):
        assert item.findtext("title") and item.findtext("link") and item.findtext("guid")
        assert item.findtext("pubDate")
    return channel


def atom(client: Client, url: str) -> ET.Element:
    answer = client.get(url)
    assert answer.status_code == 200, answer.content
    assert answer["Content-Type"].startswith("application/atom+xml")
    assert SECRET.encode() not in answer.content
    root = ET.fromstring(answer.content)
    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}title") and root.findtext(f"{ATOM}id")
    assert root.findtext(f"{ATOM}updated")
    for entry in root.findall(f"{ATOM}entry"):
        assert entry.findtext(f"{ATOM}title") and entry.findtext(f"{ATOM}id")
        assert entry.findtext(f"{ATOM}updated")
    return root


@pytest.fixture
def story(world: dict[str, Any], make_ticket: Any) -> dict[str, Any]:
    ticket = make_ticket(contact_email=SECRET, title="Lamp out <b>tonight</b>")
    neighbour = actor_for(anon="neighbour-token-0001", ip="203.0.113.9")
    seen = services.comment_create(actor=neighbour, ticket_id=ticket.pk, body="Seen it too")
    hidden = services.comment_create(actor=neighbour, ticket_id=ticket.pk, body="HIDDEN insult")
    services.comment_set_visibility(comment_id=hidden.pk, visibility="hidden", reason="abuse")
    shadowed = services.comment_create(actor=neighbour, ticket_id=ticket.pk, body="SHADOW spam")
    Comment.objects.filter(pk=shadowed.pk).update(shadow=True)
    held = services.comment_create(actor=neighbour, ticket_id=ticket.pk, body="HELD words")
    Comment.objects.filter(pk=held.pk).update(visibility=Comment.Visibility.HELD)
    agent = actor_for(world["borough-agent"])
    services.ticket_transition(
        actor=agent, ticket_id=ticket.pk, action="acknowledge", note="Crew on the way"
    )
    other = make_ticket(title="Snow on Maple", **CITY_POINT)
    return {"ticket": ticket, "seen": seen, "other": other}


def test_ticket_feed_rss_has_public_history_only(story: dict[str, Any]) -> None:
    ticket = story["ticket"]
    channel = rss(Client(), f"/feeds/tickets/{ticket.pk}.rss")
    items = channel.findall("item")
    titles = [i.findtext("title") for i in items]
    assert len(items) == 3  # the report, one visible comment, one status change
    assert titles[0] == "Status: Open → Acknowledged"
    assert any(t.startswith("Comment by") for t in titles)
    assert titles[-1] == "Reported: Lamp out <b>tonight</b>"
    text = ET.tostring(channel, encoding="unicode")
    assert "Seen it too" in text and "Crew on the way" in text
    for private in ("HIDDEN", "SHADOW", "HELD"):
        assert private not in text
    # Descriptions are escaped HTML: the title's markup is text, not a tag.
    report = items[-1].findtext("description")
    assert "<b>" not in report or "&lt;b&gt;" in report


def test_ticket_feed_atom(story: dict[str, Any]) -> None:
    root = atom(Client(), f"/feeds/tickets/{story['ticket'].pk}.atom")
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 3
    text = ET.tostring(root, encoding="unicode")
    assert "HIDDEN" not in text and "SHADOW" not in text


def test_unknown_ticket_feed_is_404(world: dict[str, Any]) -> None:
    assert Client().get("/feeds/tickets/999999.rss").status_code == 404


def test_jurisdiction_feeds(story: dict[str, Any]) -> None:
    client = Client()
    borough = rss(client, "/feeds/jurisdictions/old-port.rss")
    assert [i.findtext("guid") for i in borough.findall("item")] == [
        f"fixline-ticket-{story['ticket'].pk}"
    ]
    city = atom(client, "/feeds/jurisdictions/riverton.atom")
    assert len(city.findall(f"{ATOM}entry")) == 2  # the city and its borough
    assert client.get("/feeds/jurisdictions/atlantis.rss").status_code == 404


def test_event_feeds(story: dict[str, Any], world: dict[str, Any], make_ticket: Any) -> None:
    storm = EmergencyEvent.objects.create(
        name="Big storm", slug="big-storm", starts_at=timezone.now() - timedelta(hours=1)
    )
    in_storm = make_ticket(title="Tree on the road", event="big-storm")
    client = Client()
    channel = rss(client, f"/feeds/events/{storm.slug}.rss")
    assert [i.findtext("guid") for i in channel.findall("item")] == [
        f"fixline-ticket-{in_storm.pk}"
    ]
    atom(client, f"/feeds/events/{storm.slug}.atom")
    assert client.get("/feeds/events/nope.atom").status_code == 404


def test_area_feeds_and_bad_bbox(story: dict[str, Any]) -> None:
    client = Client()
    around_city_point = "-73.61,45.53,-73.59,45.55"
    channel = rss(client, f"/feeds/area.rss?bbox={around_city_point}")
    assert [i.findtext("guid") for i in channel.findall("item")] == [
        f"fixline-ticket-{story['other'].pk}"
    ]
    root = atom(client, f"/feeds/area.atom?bbox={around_city_point}")
    assert len(root.findall(f"{ATOM}entry")) == 1
    for bad in ("", "1,2,3", "a,b,c,d", "10,10,0,0", "0,0,200,0", "nan,0,1,1"):
        answer = client.get("/feeds/area.rss", {"bbox": bad})
        assert answer.status_code == 400, bad
        assert "bbox" in answer.json()


def test_control_characters_do_not_break_feeds(world: dict[str, Any], make_ticket: Any) -> None:
    ticket = make_ticket(title="Bell\x07 title", description="Form\x0cfeed")
    channel = rss(Client(), f"/feeds/tickets/{ticket.pk}.rss")
    assert channel.find("item") is not None
    rss(Client(), "/feeds/jurisdictions/riverton.rss")
    assert Ticket.objects.count() == 1


def test_a_french_feed_names_types_in_french(world: dict[str, Any], make_ticket: Any) -> None:
    """Issue 18: a feed read in French (the reader's Accept-Language) names the type by its
    French name, in each item and in a ticket feed's description; in English, the English."""
    ticket = make_ticket(title="Snowbank on Harbour", service_code="snow")
    for language, wanted, unwanted in (
        ("fr", "Rue non déneigée", "Unploughed street"),
        ("en", "Unploughed street", "Rue non déneigée"),
    ):
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        channel = rss(client, "/feeds/jurisdictions/old-port.rss")
        [item] = [
            i for i in channel.findall("item") if i.findtext("guid").endswith(f"-{ticket.pk}")
        ]
        assert wanted in item.findtext("description"), item.findtext("description")
        assert wanted in [c.text for c in item.findall("category")]
        text = client.get("/feeds/jurisdictions/old-port.atom").content.decode()
        assert wanted in text and unwanted not in text
        channel = rss(client, f"/feeds/tickets/{ticket.pk}.rss")
        assert wanted in channel.findtext("description"), channel.findtext("description")
        assert unwanted not in channel.findtext("description")
