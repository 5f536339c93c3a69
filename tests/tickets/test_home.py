"""The home page on a phone (issue 18): open tickets first (closed behind a filter), nearest
first with a location, real words in the filters, relative times, type names in French."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from tests.conftest import BOROUGH_POINT, CITY_POINT, actor_for
from tickets import services
from tickets.models import ServiceType, Ticket


def rows(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-testid="ticket-row" data-ticket-id="(\d+)"', html)]


def test_closed_tickets_are_not_mixed_in_unless_asked(world: Any, make_ticket: Any) -> None:
    open_ticket = make_ticket(title="Still open here")
    closed = make_ticket(title="Already fixed there")
    services.ticket_transition(actor=actor_for(world["agent"]), ticket_id=closed.pk, action="close")
    client = Client()
    assert rows(client.get("/").content.decode()) == [open_ticket.pk]
    assert set(rows(client.get("/", {"closed": "1"}).content.decode())) == {
        open_ticket.pk,
        closed.pk,
    }
    assert rows(client.get("/", {"status": "closed"}).content.decode()) == [closed.pk]


def test_near_me_lists_the_nearest_first_with_distances(world: Any, make_ticket: Any) -> None:
    far = make_ticket(title="Far away", **CITY_POINT)
    near = make_ticket(title="Around the corner", **BOROUGH_POINT)
    client = Client()
    # Without a location: newest first.
    assert rows(client.get("/").content.decode()) == [near.pk, far.pk]
    Ticket.objects.filter(pk=near.pk).update(created_at=timezone.now() - timedelta(days=3))
    assert rows(client.get("/").content.decode()) == [far.pk, near.pk]
    # With one: nearest first, each row saying how far.
    html = client.get("/", {"near": "45.5051,-73.5521"}).content.decode()
    assert rows(html) == [near.pk, far.pk]
    distances = re.findall(r'data-testid="ticket-distance">([^<]+)<', html)
    assert re.fullmatch(r"1\d m away", distances[0]) and distances[1] == "5.4 km away", distances
    # A location that is not one is ignored, never a 500.
    for bad in ("north", "91,0", "nan,1", "1,2,3"):
        response = client.get("/", {"near": bad})
        assert response.status_code == 200 and rows(response.content.decode()) == [far.pk, near.pk]


def test_filters_speak_words_behind_one_control(world: Any, make_ticket: Any) -> None:
    make_ticket()
    html = Client().get("/").content.decode()
    assert "---------" not in html
    assert ">Any status<" in html and ">Any type<" in html and ">All jurisdictions<" in html
    # One control opens them (closed by default); "Updated since" is a date-time picker.
    assert re.search(r'<details class="filters card" data-testid="filters">', html)
    assert re.search(r'<input type="datetime-local" name="updated_since"', html)
    assert 'inputmode="numeric"' not in html
    # A bad value opens the filters to show its error.
    bad = Client().get("/", {"updated_since": "yesterday-ish"}).content.decode()
    assert '<details class="filters card" data-testid="filters" open>' in bad


def test_relative_times_and_type_names_in_french(world: Any, make_ticket: Any) -> None:
    ticket = make_ticket(service_code="pothole", title="Nid profond", answers={"depth": "deep"})
    french = Client(HTTP_ACCEPT_LANGUAGE="fr")
    html = french.get("/").content.decode()
    assert ">Nid-de-poule<" in html and ">Pothole<" not in html
    assert "Mis à jour à l’instant" in html
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=timezone.now() - timedelta(minutes=5))
    assert "Mis à jour il y a 5\xa0minutes" in french.get("/").content.decode()
    english = Client().get("/").content.decode()
    assert "Updated 5\xa0minutes ago" in english and ">Pothole<" in english
    # The type filter lists the French names too.
    assert '<option value="pothole">Nid-de-poule</option>' in html
    # The ticket page and the report form's categories too.
    page = french.get(f"/tickets/{ticket.pk}/").content.decode()
    assert re.search(r'data-testid="ticket-type">Nid-de-poule<', page)
    assert 'class="category-name">Nid-de-poule<' in french.get("/tickets/new/").content.decode()
    # No French name given in the admin: the canonical one.
    ServiceType.objects.filter(code="pothole").update(name_fr="")
    assert ">Pothole<" in french.get("/").content.decode()


def test_my_tickets_use_the_same_list(world: Any, make_ticket: Any) -> None:
    ticket = make_ticket(actor=actor_for(world["owner"]))
    client = Client()
    client.force_login(world["owner"])
    mine = client.get("/me/reports/").content.decode()
    home = client.get("/").content.decode()

    def row(html: str) -> str:
        match = re.search(
            rf'<li class="ticket-row card" data-testid="ticket-row" data-ticket-id="{ticket.pk}".*?</li>',
            html,
            re.S,
        )
        assert match, html[:2000]
        return match.group(0)

    assert row(mine) == row(home)
