"""`seed_demo` leaves the console with work to show: an active storm with tickets inside its
drawn area, a held and flagged comments, pending offers (and one accepted), an announcement —
and running it again changes nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from moderation.management.commands.seed_storm import SLUG
from moderation.models import Announcement, Flag, Offer
from tickets import geo
from tickets.models import Comment, EmergencyEvent, Ticket

pytestmark = pytest.mark.django_db


def _seed() -> None:
    call_command("seed_demo", stdout=StringIO(), stderr=StringIO())


def test_seed_demo_yields_an_active_storm_with_work_on_the_console() -> None:
    _seed()
    storm = EmergencyEvent.objects.get(slug=SLUG)
    assert storm.is_active() and storm.area is not None
    inside = list(Ticket.objects.filter(event=storm))
    assert len(inside) >= 3
    for ticket in inside:  # they joined because they are inside its area
        assert geo.contains(storm.area, lat=ticket.lat, long=ticket.long), ticket.title
    comments = Comment.objects.filter(ticket__event=storm)
    assert comments.filter(visibility=Comment.Visibility.HELD).exists()
    open_flags = Flag.objects.filter(resolution=Flag.Resolution.OPEN, comment__ticket__event=storm)
    assert open_flags.values("comment").distinct().count() >= 2
    assert comments.filter(visibility=Comment.Visibility.HIDDEN).exists()  # the doxx, hidden
    offers = Offer.objects.filter(status=Offer.Status.PENDING)
    assert offers.count() >= 2
    assert Offer.objects.filter(event=storm, status=Offer.Status.ACCEPTED).exists()
    assert Announcement.objects.filter(event=storm, hidden=False).exists()

    counts = (Ticket.objects.count(), Offer.objects.count(), Announcement.objects.count())
    _seed()
    assert (Ticket.objects.count(), Offer.objects.count(), Announcement.objects.count()) == counts
