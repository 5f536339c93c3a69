"""The report form (tickets/views/report.py) as a server: location first with the coordinates
tucked away, large category choices with the event's first, `?event=`, the optional e-mail
(never shown), and photos kept across an error. The browser flows: tests/browser/test_report.py."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from tests.conftest import BOROUGH_POINT, actor_for
from tickets import services
from tickets.models import EmergencyEvent, PendingPhoto, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def png(name: str = "street.png") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 200)).save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def report(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Unploughed street by the school",
        "service_code": "snow",
        "lat": str(BOROUGH_POINT["lat"]),
        "long": str(BOROUGH_POINT["long"]),
    }
    data.update(overrides)
    return data


def storm(**fields: Any) -> EmergencyEvent:
    now = timezone.now()
    values: dict[str, Any] = {
        "name": "Snowstorm Ada",
        "slug": "snowstorm-ada",
        "description": "Sidewalks first, then side streets.",
        "starts_at": now - timedelta(hours=2),
        "premoderate_anonymous": True,
        "slow_mode_seconds": 30,
    }
    values.update(fields)
    return EmergencyEvent.objects.create(**values)


def hidden_value(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    return found.group(1) if found else ""


def test_location_comes_first_and_coordinates_are_tucked_away(world: Any) -> None:
    html = Client().get("/tickets/new/").content.decode()
    where, what = html.index('id="where-title"'), html.index('id="what-title"')
    assert where < what  # where before what
    assert html.index('data-testid="locate-button"') < what
    coords = html[html.index('data-testid="coords"') :]
    assert coords.startswith('data-testid="coords">')  # a closed <details>
    assert coords.index('name="lat"') < coords.index("</details>")
    assert 'type="radio" name="service_code" value="snow"' in html
    assert 'capture="environment"' in html and 'accept="image/*"' in html
    # The help texts no longer contradict each other.
    assert "Name shown publicly" not in html
    assert "E-mail me updates (never shown)" in html and 'name="email"' in html


def test_signed_in_reporters_get_mail_at_their_account_not_a_second_field(world: Any) -> None:
    client = Client()
    client.force_login(world["owner"])
    assert 'name="email"' not in client.get("/tickets/new/").content.decode()


def test_the_active_events_categories_come_first(world: Any, make_ticket: Any) -> None:
    event = storm()
    for _ in range(2):
        make_ticket(service_code="fallen-tree", event=event.slug, title="Tree on the wires")
    make_ticket(service_code="snow", event=event.slug, title="Unploughed")
    html = Client().get("/tickets/new/").content.decode()  # no ?event=: the storm under way
    first = html[html.index('data-testid="event-categories"') :]
    first = first[: first.index("</div>")]
    assert first.index('value="fallen-tree"') < first.index('value="snow"')  # most reported first
    assert 'value="pothole"' not in first
    assert html.index('value="snow"') < html.index('value="campus-access"')  # "Campus" group
    EmergencyEvent.objects.filter(pk=event.pk).update(ends_at=timezone.now())
    assert 'data-testid="event-categories"' not in Client().get("/tickets/new/").content.decode()


def test_event_in_the_address_files_the_report_into_it(world: Any) -> None:
    event = storm()
    client = Client()
    html = client.get("/tickets/new/?event=snowstorm-ada").content.decode()
    assert 'data-testid="report-event"' in html and "Snowstorm Ada" in html
    assert "Sidewalks first" in html and "reviewed before they appear" in html
    assert "one comment every 30 seconds" in html.lower()
    assert hidden_value(html, "event") == "snowstorm-ada"
    response = client.post("/tickets/new/?event=snowstorm-ada", report(event="snowstorm-ada"))
    assert response.status_code == 303, response.content.decode()[:2000]
    assert Ticket.objects.get(title="Unploughed street by the school").event == event


@pytest.mark.parametrize("ended", [False, True])
def test_an_unknown_or_ended_event_is_a_clear_form_error(world: Any, ended: bool) -> None:
    slug = "snowstorm-ada" if ended else "no-such-storm"
    if ended:
        storm(ends_at=timezone.now() - timedelta(minutes=1))
    page = Client().get(f"/tickets/new/?event={slug}")
    assert page.status_code == 200
    assert 'data-testid="event-error"' in page.content.decode()
    response = Client().post(f"/tickets/new/?event={slug}", report(event=slug))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="event-error"' in html
    assert ("has ended" in html or "not under way" in html) if ended else "no event" in html
    assert not Ticket.objects.exists()


def test_photos_are_kept_across_an_error_and_sent_with_the_report(world: Any) -> None:
    client = Client()
    client.get("/tickets/new/")  # the anonymous cookie
    response = client.post("/tickets/new/", report(title="", photos=[png("a.png"), png("b.png")]))
    assert response.status_code == 400
    html = response.content.decode()
    assert "attach them again" not in html
    assert html.count('data-testid="kept-photo"') == 2 and "a.png" in html
    token = hidden_value(html, "pending_photos")
    assert token and PendingPhoto.objects.count() == 2
    assert 'data-photo-slots="1"' in html  # the limit counts the kept ones

    # Another error: still kept, and a third photo joins them.
    response = client.post(
        "/tickets/new/", report(title="", pending_photos=token, photos=[png("c.png")])
    )
    token = hidden_value(response.content.decode(), "pending_photos")
    assert response.content.decode().count('data-testid="kept-photo"') == 3

    response = client.post("/tickets/new/", report(pending_photos=token))
    assert response.status_code == 303, response.content.decode()[:2000]
    ticket = Ticket.objects.get(title="Unploughed street by the school")
    assert ticket.photos.count() == 3
    assert PendingPhoto.objects.count() == 0  # sent: the kept copies are gone


def test_kept_photos_are_the_browsers_own_and_expire_after_a_day(world: Any) -> None:
    client = Client()
    client.get("/tickets/new/")
    html = client.post("/tickets/new/", report(title="", photos=[png()])).content.decode()
    token = hidden_value(html, "pending_photos")
    other = Client(REMOTE_ADDR="203.0.113.9")
    other.get("/tickets/new/")
    response = other.post("/tickets/new/", report(pending_photos=token))
    assert response.status_code == 303
    assert Ticket.objects.get().photos.count() == 0  # someone else's token attaches nothing

    PendingPhoto.objects.update(created_at=timezone.now() - timedelta(days=1, minutes=1))
    response = client.post("/tickets/new/", report(title="Later", pending_photos=token))
    assert response.status_code == 303
    assert Ticket.objects.get(title="Later").photos.count() == 0
    client.post("/tickets/new/", report(title="", photos=[png()]))  # keeping sweeps
    assert PendingPhoto.objects.count() == 1


def test_a_refused_photo_is_not_kept(world: Any) -> None:
    bad = SimpleUploadedFile("virus.exe", b"MZ\x90\x00", content_type="application/x-dosexec")
    response = Client().post("/tickets/new/", report(photos=[bad, png("ok.png")]))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-error-for="photos"' in html
    assert "ok.png" in html and 'data-testid="kept-photo">virus.exe' not in html


def test_the_contact_email_is_never_shown(world: Any) -> None:
    event = storm(premoderate_anonymous=False)
    client = Client()
    client.get("/tickets/new/")
    response = client.post(
        "/tickets/new/",
        report(email="Neighbour@Example.net", display_name="Nina", event=event.slug),
    )
    assert response.status_code == 303
    ticket = Ticket.objects.get()
    assert ticket.contact_email.lower() == "neighbour@example.net"
    services.comment_create(actor=actor_for(world["agent"]), ticket_id=ticket.pk, body="On it")
    urls = [
        f"/tickets/{ticket.pk}/",
        f"/api/v1/tickets/{ticket.pk}/",
        f"/api/v1/tickets/{ticket.pk}/events/",
        "/api/v1/tickets/",
        f"/feeds/tickets/{ticket.pk}.rss",
        f"/feeds/events/{event.slug}.atom",
        "/feeds/jurisdictions/old-port.rss",
        f"/open311/v2/requests/{ticket.pk}.json",
    ]
    for url in urls:
        for who in (Client(), client):  # a passer-by, and the reporter's own browser
            answer = who.get(url)
            assert answer.status_code == 200, url
            assert "example.net" not in answer.content.decode().lower(), url
    # What the sockets carry is the durable event log (replayed and broadcast as is).
    for event_row in TicketEvent.objects.filter(ticket=ticket):
        assert "example.net" not in str(event_row.data).lower()
