"""The demo's storm story (run by `seed_demo`, safe to run again): an active snowstorm with
a drawn area, tickets inside it that joined on their own, a held comment, flagged comments
(one hidden by a trusted volunteer's flag), pending offers, one accepted, and an
announcement. A newcomer logging in as `agent` or `volunteer` sees the console at work."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils import timezone

from moderation import services as moderation
from tickets import services
from tickets.identity import Actor
from tickets.models import EmergencyEvent

SLUG = "snowstorm"
# North-west Riverton: away from the demo's other tickets and the points tests report at.
AREA = {
    "type": "Polygon",
    "coordinates": [
        [
            [-73.645, 45.545],
            [-73.615, 45.545],
            [-73.615, 45.562],
            [-73.645, 45.562],
            [-73.645, 45.545],
        ]
    ],
}


class Command(BaseCommand):
    help = "Add the demo's active snowstorm, with work waiting on the console (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        if EmergencyEvent.objects.filter(slug=SLUG).exists():
            return
        users = {
            u.username: u
            for u in get_user_model().objects.filter(username__in=["agent", "volunteer", "citizen"])
        }
        if len(users) < 3:
            self.stderr.write("seed_storm needs the demo accounts: run seed_demo.")
            return
        self._storm(users)
        self.stdout.write(f"Active emergency: /events/{SLUG}/ (announcement, queue, offers).")

    def _storm(self, users: dict[str, Any]) -> None:
        def anon(n: int) -> Actor:
            return Actor(anon_token=f"seed-storm-neighbour-{n:02d}", ip=f"192.0.2.{100 + n}")

        agent = Actor(user=users["agent"], ip="192.0.2.201")
        volunteer = Actor(user=users["volunteer"], ip="192.0.2.203")
        citizen = Actor(user=users["citizen"], ip="192.0.2.200")
        moderation.emergency_create(
            actor=agent,
            name="Snowstorm",
            slug=SLUG,
            description=(
                "Heavy snow and freezing rain over north-west Riverton. Report unploughed "
                "streets, fallen branches and dark crossings; neighbours can offer help."
            ),
            starts_at=timezone.now() - timedelta(hours=6),
            area=AREA,
            premoderate_anonymous=True,
            slow_mode_seconds=30,
            anonymous_comment_limit=3,
            reason="Storm warning from the weather office",
        )
        rows = [
            (anon(1), "Maple Ave not ploughed, cars stuck", "snow", 45.552, -73.630),
            (citizen, "Branch down across Birch Lane", "fallen-tree", 45.548, -73.622),
            (anon(2), "Crossing lights out at Cedar & 9th", "streetlight", 45.558, -73.638),
            (anon(3), "Sidewalk buried by the plough", "snow", 45.555, -73.620),
        ]
        tickets = []
        for who, title, code, lat, long in rows:  # inside the area: they join the storm
            tickets.append(
                services.ticket_create(
                    actor=who,
                    title=title,
                    description=f"{title}. Reported during the demo's snowstorm.",
                    service_code=code,
                    lat=lat,
                    long=long,
                    anonymous=not who.is_authenticated,
                )
            )
        first, second, third, _fourth = tickets
        services.comment_create(
            actor=agent,
            ticket_id=first.pk,
            body="Ploughs are on Maple tonight, from the north end.",
        )
        # Anonymous comments are held during the storm: one waits on the console.
        services.comment_create(
            actor=anon(4), ticket_id=first.pk, body="My neighbour has a tractor and could help."
        )
        # Flagged twice by neighbours: in the queue, still visible.
        rude = services.comment_create(
            actor=citizen,
            ticket_id=second.pk,
            body="Nobody in this city ever does anything, idiots.",
        )
        for n in (5, 6):
            moderation.flag_create(actor=anon(n), comment_id=rude.pk, reason="abuse")
        # A phone number posted in public: a trusted volunteer's flag hides it at once.
        doxx = services.comment_create(
            actor=citizen,
            ticket_id=third.pk,
            body="The owner of the shop is at 555-0142, call him.",
        )
        moderation.flag_create(
            actor=volunteer, comment_id=doxx.pk, reason="personal_info", details="a phone number"
        )
        moderation.offer_create(
            actor=citizen,
            ticket_id=second.pk,
            message="I have a chainsaw and can clear the branch tomorrow morning.",
            contact="citizen@example.org",
            skills="chainsaw",
            availability="Saturday 8-12",
        )
        moderation.offer_create(
            actor=anon(7),
            ticket_id=first.pk,
            message="I can shovel the sidewalk in front of the school.",
            contact="+1 555 0199",
            availability="evenings",
        )
        helping = moderation.offer_create(
            actor=volunteer,
            emergency_slug=SLUG,
            message="Driving elderly neighbours to the warming centre.",
            contact="volunteer@example.org",
            skills="4x4 car",
        )
        if helping.status == "pending":
            moderation.offer_review(actor=agent, offer_id=helping.pk, decision="accept")
        moderation.announcement_create(
            actor=agent,
            event=SLUG,
            body=(
                "Overnight ploughing on Maple and Birch: please move cars off the street by "
                "10 pm. The warming centre at the Central library is open all night."
            ),
        )
