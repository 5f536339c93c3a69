"""Load the demo city (idempotent): Riverton, its Old Port borough and its university, five
request types, the contract's demo accounts and a dozen tickets in every status."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from tickets import services
from tickets.identity import Actor
from tickets.models import Integration, Jurisdiction, ServiceQuestion, ServiceType, Ticket
from tickets.permissions import AGENTS_GROUP, TRUSTED_VOLUNTEERS_GROUP

FRENCH_TYPE_NAMES = {
    "pothole": "Nid-de-poule",
    "snow": "Rue non déneigée",
    "streetlight": "Lampadaire en panne",
    "fallen-tree": "Arbre ou branche tombé",
    "graffiti": "Graffiti",
    "campus-access": "Chemin du campus bloqué",
}
FRENCH_GROUP_NAMES = {
    "Streets": "Rues",
    "Winter": "Hiver",
    "Lighting": "Éclairage",
    "Parks": "Parcs",
    "Cleanliness": "Propreté",
    "Campus": "Campus",
}


def box(min_long: float, min_lat: float, max_long: float, max_lat: float) -> dict[str, Any]:
    ring = [
        [min_long, min_lat],
        [max_long, min_lat],
        [max_long, max_lat],
        [min_long, max_lat],
        [min_long, min_lat],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


CITY = {
    "type": "Polygon",
    "coordinates": [
        [
            [-73.660, 45.470],
            [-73.520, 45.470],
            [-73.500, 45.520],
            [-73.540, 45.570],
            [-73.650, 45.565],
            [-73.675, 45.520],
            [-73.660, 45.470],
        ]
    ],
}
OLD_PORT = {
    "type": "Polygon",
    "coordinates": [
        [
            [-73.570, 45.490],
            [-73.535, 45.492],
            [-73.530, 45.515],
            [-73.555, 45.522],
            [-73.572, 45.510],
            [-73.570, 45.490],
        ]
    ],
}
UNIVERSITY = box(-73.590, 45.500, -73.576, 45.510)

DEMO_PASSWORD = "demo-{}"
OPEN311_KEY = "demo-open311-key"


class Command(BaseCommand):
    help = "Load the Fixline demo city, accounts and tickets (safe to run again)."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            users = self._accounts()
            places = self._jurisdictions(users)
            self._service_types(places)
            Integration.ensure(name="Demo Open311 client", raw_key=OPEN311_KEY)
        if not Ticket.objects.exists():
            self._tickets(users)
        # The storm story lives with moderation (above tickets): run by name, when installed.
        if apps.is_installed("moderation"):
            call_command("seed_storm", stdout=self.stdout, stderr=self.stderr)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(
            "Demo accounts (password demo-<username>): admin, agent, volunteer, citizen"
        )
        self.stdout.write(f"Open311 API key: {OPEN311_KEY}")

    def _accounts(self) -> dict[str, Any]:
        User = get_user_model()
        agents, _ = Group.objects.get_or_create(name=AGENTS_GROUP)
        trusted, _ = Group.objects.get_or_create(name=TRUSTED_VOLUNTEERS_GROUP)
        people = {
            "admin": ("Ada", "Admin"),
            "agent": ("Alex", "Agent"),
            "borough-agent": ("Bea", "Borough"),
            "volunteer": ("Val", "Volunteer"),
            "citizen": ("Camille", "Citizen"),
        }
        users = {}
        for username, (first, last) in people.items():
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "email": f"{username}@example.org",
                    "first_name": first,
                    "last_name": last,
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD.format(username))
                user.is_staff = username == "admin"
                user.is_superuser = username == "admin"
                user.save()
            users[username] = user
        users["agent"].groups.add(agents)
        users["borough-agent"].groups.add(agents)
        users["volunteer"].groups.add(trusted)
        self._verify_addresses(users)
        return users

    def _verify_addresses(self, users: dict[str, Any]) -> None:
        """The demo accounts' addresses count as verified, so the demo's mail flows. The
        model is looked up by name: tickets sits below notifications and cannot import it."""
        verification = apps.get_model("notifications", "AddressVerification")
        now = timezone.now()
        for user in users.values():
            email = user.email.strip().lower()
            if (
                email
                and not verification.objects.filter(email=email, verified_at__isnull=False).exists()
            ):
                verification.objects.create(email=email, user=user, created_at=now, verified_at=now)

    def _jurisdictions(self, users: dict[str, Any]) -> dict[str, Jurisdiction]:
        city, _ = Jurisdiction.objects.get_or_create(
            slug="riverton",
            defaults={
                "name": "City of Riverton",
                "kind": Jurisdiction.Kind.CITY,
                "boundary": CITY,
                "contact_email": "311@riverton.example.org",
                "contact_phone": "311",
                "team_name": "Riverton 311",
            },
        )
        old_port, _ = Jurisdiction.objects.get_or_create(
            slug="old-port",
            defaults={
                "name": "Old Port Borough",
                "kind": Jurisdiction.Kind.BOROUGH,
                "parent": city,
                "boundary": OLD_PORT,
                "contact_email": "oldport@riverton.example.org",
                "team_name": "Old Port public works",
            },
        )
        university, _ = Jurisdiction.objects.get_or_create(
            slug="riverton-university",
            defaults={
                "name": "Riverton University",
                "kind": Jurisdiction.Kind.UNIVERSITY,
                "parent": city,
                "boundary": UNIVERSITY,
                "contact_email": "facilities@university.example.org",
                "team_name": "Campus facilities",
            },
        )
        city.agents.add(users["agent"])
        old_port.agents.add(users["borough-agent"])
        return {"city": city, "old_port": old_port, "university": university}

    def _service_types(self, places: dict[str, Jurisdiction]) -> None:
        city = places["city"]
        specs = [
            (city, "pothole", "Pothole", "Streets", "hole road asphalt"),
            (city, "snow", "Unploughed street", "Winter", "snow ice plough"),
            (city, "streetlight", "Broken streetlight", "Lighting", "lamp dark light"),
            (city, "fallen-tree", "Fallen tree or branch", "Parks", "tree branch storm"),
            (city, "graffiti", "Graffiti", "Cleanliness", "tag paint wall"),
            (
                places["university"],
                "campus-access",
                "Blocked campus path",
                "Campus",
                "ramp access path",
            ),
        ]
        for jurisdiction, code, name, group, keywords in specs:
            ServiceType.objects.get_or_create(
                code=code,
                defaults={
                    "jurisdiction": jurisdiction,
                    "name": name,
                    "group": group,
                    "keywords": keywords,
                    "description": f"Report a {name.lower()}.",
                },
            )
        # French names (issue 18): a type's name is translated per language in the admin.
        for code, name_fr in FRENCH_TYPE_NAMES.items():
            ServiceType.objects.filter(code=code, name_fr="").update(name_fr=name_fr)
        for group, group_fr in FRENCH_GROUP_NAMES.items():
            ServiceType.objects.filter(group=group, group_fr="").update(group_fr=group_fr)
        pothole = ServiceType.objects.get(code="pothole")
        # Each with its French (the admin's "question in French" and a value's "name_fr").
        questions = [
            ("depth", "How deep is it?", "Quelle profondeur ?", ServiceQuestion.Datatype.SINGLE, True,
             [{"key": "shallow", "name": "Less than 5 cm", "name_fr": "Moins de 5 cm"},
              {"key": "deep", "name": "5 cm or more", "name_fr": "5 cm ou plus"}], False),
            ("lane", "Which lanes are affected?", "Quelles voies sont touchées ?",
             ServiceQuestion.Datatype.MULTI, False,
             [{"key": "car", "name": "Car lane", "name_fr": "Voie des voitures"},
              {"key": "bike", "name": "Bike lane", "name_fr": "Piste cyclable"},
              {"key": "sidewalk", "name": "Sidewalk", "name_fr": "Trottoir"}], False),
            ("width_cm", "Approximate width (cm)", "Largeur approximative (cm)",
             ServiceQuestion.Datatype.NUMBER, False, [], False),
            ("callback", "Best time to call you back", "Meilleur moment pour vous rappeler",
             ServiceQuestion.Datatype.STRING, False, [], True),
        ]  # fmt: skip
        for order, (code, text, text_fr, datatype, required, values, private) in enumerate(
            questions
        ):
            ServiceQuestion.objects.get_or_create(
                service_type=pothole,
                code=code,
                defaults={
                    "description": text,
                    "description_fr": text_fr,
                    "datatype": datatype,
                    "required": required,
                    "values": values,
                    "order": order,
                    "private": private,
                },
            )

    def _tickets(self, users: dict[str, Any]) -> None:
        def anon(n: int) -> Actor:
            return Actor(anon_token=f"seed-anonymous-neighbour-{n:02d}", ip=f"192.0.2.{n}")

        citizen = Actor(user=users["citizen"], ip="192.0.2.200")
        agent = Actor(user=users["agent"], ip="192.0.2.201")
        borough_agent = Actor(user=users["borough-agent"], ip="192.0.2.202")
        volunteer = Actor(user=users["volunteer"], ip="192.0.2.203")
        rows = [
            # (reporter, title, code, lat, long, address, answers, final status)
            (citizen, "Deep pothole on Harbour Street", "pothole", 45.505, -73.552, "120 Harbour St",
             {"depth": "deep", "lane": ["car", "bike"]}, "open"),
            (anon(1), "Street not ploughed since Tuesday", "snow", 45.540, -73.600, "Maple Ave & 3rd",
             None, "acknowledged"),
            (anon(2), "Streetlight out by the school", "streetlight", 45.530, -73.620, "Elm St school",
             None, "closed"),
            (citizen, "Large branch blocking the bike path", "fallen-tree", 45.498, -73.545, "Quay path",
             None, "open"),
            (anon(3), "Graffiti on the library wall", "graffiti", 45.520, -73.640, "Central library",
             None, "acknowledged"),
            (volunteer, "Pothole near the market", "pothole", 45.512, -73.560, "Market Square",
             {"depth": "shallow"}, "closed"),
            (anon(4), "Ice ridge across the crosswalk", "snow", 45.501, -73.548, "Dock Rd crosswalk",
             None, "open"),
            (citizen, "Lamp flickering all night", "streetlight", 45.550, -73.590, "Oak Park",
             None, "open"),
            (anon(5), "Ramp to the science building blocked", "campus-access", 45.505, -73.583,
             "Science quad", None, "acknowledged"),
            (anon(6), "Tree down after the storm", "fallen-tree", 45.480, -73.600, "South Rd",
             None, "closed"),
            (citizen, "Tags on the bridge railing", "graffiti", 45.494, -73.540, "Old bridge",
             None, "open"),
            (anon(7), "Snowbank blocks the bus stop", "snow", 45.509, -73.566, "Stop 52, Quay St",
             None, "acknowledged"),
            (anon(8), "Pothole that keeps coming back", "pothole", 45.525, -73.610, "Birch Ave",
             {"depth": "deep"}, "closed"),
            (citizen, "Dark stretch on the river walk", "streetlight", 45.496, -73.556, "River walk",
             None, "open"),
        ]  # fmt: skip
        comments = [
            "Still there this morning, a cyclist nearly fell.",
            "Same on the next block. See https://example.org/photos/1 for a picture.",
            "Thanks for reporting, I walk here every day.",
        ]
        for i, (who, title, code, lat, long, address, answers, final) in enumerate(rows):
            ticket = services.ticket_create(
                actor=who,
                title=title,
                description=f"{title}. Reported for the Fixline demo.",
                service_code=code,
                lat=lat,
                long=long,
                address=address,
                answers=answers,
                anonymous=not who.is_authenticated,
            )
            services.comment_create(actor=anon(20 + i), ticket_id=ticket.pk, body=comments[i % 3])
            services.ticket_react(actor=anon(20 + i), ticket_id=ticket.pk, kind="vote")
            handler = borough_agent if ticket.jurisdiction.slug == "old-port" else agent
            if final in ("acknowledged", "closed"):
                services.ticket_transition(
                    actor=handler,
                    ticket_id=ticket.pk,
                    action="acknowledge",
                    note="A crew has been assigned.",
                )
                services.comment_create(
                    actor=handler,
                    ticket_id=ticket.pk,
                    body="We have this on our list for this week.",
                )
            if final == "closed":
                services.ticket_transition(
                    actor=handler, ticket_id=ticket.pk, action="close", note="Fixed by the crew."
                )
                services.ticket_react(actor=who, ticket_id=ticket.pk, kind="thanks")
        # A reopened one: the citizen says it is not fixed.
        reopened = Ticket.objects.filter(status="closed").order_by("id").first()
        if reopened is not None:
            services.ticket_transition(
                actor=citizen,
                ticket_id=reopened.pk,
                action="reopen",
                note="The light went out again last night.",
            )
            services.ticket_transition(
                actor=agent,
                ticket_id=reopened.pk,
                action="close",
                note="Replaced the lamp head this time.",
            )
