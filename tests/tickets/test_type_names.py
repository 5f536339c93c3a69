"""Issue 18: a service type's name is shown in the page's language. An admin gives a type its
French name in the Django admin, and French pages (the event page, the widget, the report
form) show it at once; English pages keep the canonical name."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import CITY_POINT
from tickets.models import EmergencyEvent, ServiceType

pytestmark = pytest.mark.django_db


class FormFields(HTMLParser):
    """The values a browser would post from the admin's change form (#…_form)."""

    def __init__(self) -> None:
        super().__init__()
        self.values: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._select: str | None = None
        self._chosen = False
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("id", "").endswith("_form"):
            self._inside = True
        if not self._inside or "disabled" in a:
            return
        name = a.get("name", "")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind in ("submit", "button", "file"):
                return
            self.values.append((name, a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "textarea" and name:
            self._textarea = name
            self.values.append((name, ""))
        elif tag == "select" and name:
            self._select, self._chosen = name, False
        elif tag == "option" and self._select and "selected" in a:
            self.values.append((self._select, a.get("value", "")))
            self._chosen = True

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            name, text = self.values[-1]
            self.values[-1] = (name, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self._inside = False


def test_an_admin_renames_a_type_in_french_and_french_pages_show_it(
    world: Any, make_ticket: Any
) -> None:
    EmergencyEvent.objects.create(name="Blizzard", slug="blizzard", starts_at="2020-01-01T00:00Z")
    make_ticket(title="Snowbank", service_code="snow", event="blizzard")
    snow = ServiceType.objects.get(code="snow")
    admin = Client()
    admin.force_login(world["admin"])
    url = reverse("admin:tickets_servicetype_change", args=[snow.pk])
    page = admin.get(url)
    assert page.status_code == 200
    assert 'name="name_fr"' in page.content.decode(), "the admin lacks the French name field"
    form = FormFields()
    form.feed(page.content.decode())
    data: dict[str, list[str]] = {}
    for name, value in form.values:
        data.setdefault(name, []).append(value)
    data["name_fr"] = ["Rue à déneiger"]
    answer = admin.post(url, data)
    assert answer.status_code == 302, answer.content.decode()[:2000]
    snow.refresh_from_db()
    assert (snow.name, snow.name_fr) == ("Unploughed street", "Rue à déneiger")

    french, english = Client(HTTP_ACCEPT_LANGUAGE="fr"), Client(HTTP_ACCEPT_LANGUAGE="en")
    for path in ("/events/blizzard/", "/embed/?event=blizzard&lang=fr", "/tickets/new/"):
        html = french.get(path).content.decode()
        assert "Rue à déneiger" in html and "Unploughed street" not in html, path
    event_page = english.get("/events/blizzard/").content.decode()
    assert "Unploughed street" in event_page and "Rue à déneiger" not in event_page
    widget = english.get("/embed/?event=blizzard&lang=en").content.decode()
    assert "Unploughed street" in widget and "Rue à déneiger" not in widget


def test_the_report_forms_questions_name_the_type_in_the_pages_language(world: Any) -> None:
    """The pothole's questions are headed by its name: French on the French form."""
    french = Client(HTTP_ACCEPT_LANGUAGE="fr").get("/tickets/new/").content.decode()
    assert "À propos : Nid-de-poule" in french and "À propos : Pothole" not in french
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get("/tickets/new/").content.decode()
    assert "About this Pothole" in english


def test_an_agents_pages_and_errors_name_the_types_in_the_pages_language(
    world: Any, make_ticket: Any
) -> None:
    """The dashboard's type filter and its open tickets per type, the casework panel's type
    choice and the "not offered here" error: French on French pages (they gave the canonical
    English name)."""
    ticket = make_ticket(title="Dark corner", service_code="streetlight")
    french = Client(HTTP_ACCEPT_LANGUAGE="fr")
    french.force_login(world["agent"])
    dashboard = french.get("/dashboard/").content.decode()
    assert ">Nid-de-poule</option>" in dashboard and ">Pothole</option>" not in dashboard
    per_type = dashboard.split('data-testid="per-type"', 1)[1].split("</ul>", 1)[0]
    assert "<span>Lampadaire en panne</span>" in per_type and "streetlight" not in per_type
    casework = french.get(f"/tickets/{ticket.pk}/").content.decode()
    casework = casework.split('data-testid="casework-panel"', 1)[1].split("</section>", 1)[0]
    assert ">Nid-de-poule</option>" in casework and ">Pothole</option>" not in casework
    english = Client(HTTP_ACCEPT_LANGUAGE="en")
    english.force_login(world["agent"])
    assert "<span>Broken streetlight</span>" in english.get("/dashboard/").content.decode()

    # A university's type at a point of the city only.
    for language, shown, not_shown in (
        ("fr", "Chemin du campus bloqué", "Blocked campus path"),
        ("en", "Blocked campus path", "Chemin du campus bloqué"),
    ):
        answer = Client(HTTP_ACCEPT_LANGUAGE=language).post(
            "/api/v1/tickets/",
            {"title": "Ramp", "service_code": "campus-access", **CITY_POINT},
            content_type="application/json",
        )
        assert answer.status_code == 400, answer.content
        said = json.dumps(answer.json(), ensure_ascii=False)
        assert shown in said and not_shown not in said


def test_the_report_forms_groups_questions_and_choices_are_in_the_pages_language(
    world: Any,
) -> None:
    """What a jurisdiction configures for a type, beyond its name: the group it is listed
    under, its questions and their choices, French on French pages when given (they were
    English), and the ticket page's answers likewise; Open311 keeps the canonical texts."""
    french = Client(HTTP_ACCEPT_LANGUAGE="fr").get("/tickets/new/").content.decode()
    headings = re.findall(r'<p class="category-heading">([^<]*)</p>', french)
    assert "Rues" in headings and "Hiver" in headings and "Streets" not in headings
    assert "Quelle profondeur ?" in french and "How deep is it?" not in french
    assert "Moins de 5 cm" in french and "Less than 5 cm" not in french
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get("/tickets/new/").content.decode()
    assert "Streets" in re.findall(r'<p class="category-heading">([^<]*)</p>', english)
    assert "How deep is it?" in english and "Less than 5 cm" in english

    # A required question left out: the error names it in the page's language.
    report = {
        "title": "Hole by the school",
        "description": "Deep.",
        "service_code": "pothole",
        **{k: str(v) for k, v in CITY_POINT.items()},
    }
    refused = Client(HTTP_ACCEPT_LANGUAGE="fr").post("/tickets/new/", report)
    assert refused.status_code == 400
    assert "« Quelle profondeur ? » est obligatoire." in refused.content.decode()

    filed = Client(HTTP_ACCEPT_LANGUAGE="fr").post(
        "/tickets/new/", {**report, "answer-depth": "deep", "answer-lane": ["bike", "car"]}
    )
    assert filed.status_code in (302, 303), filed.content.decode()[:500]
    page = Client(HTTP_ACCEPT_LANGUAGE="fr").get(filed["Location"]).content.decode()
    answers = page.split('data-testid="answers"', 1)[1].split("</dl>", 1)[0]
    assert "Quelle profondeur ?" in answers and "5 cm ou plus" in answers
    assert "Piste cyclable, Voie des voitures" in answers
    english_page = Client(HTTP_ACCEPT_LANGUAGE="en").get(filed["Location"]).content.decode()
    assert "5 cm or more" in english_page.split('data-testid="answers"', 1)[1]

    depth = Client().get("/open311/v2/services/pothole.json").json()["attributes"][0]
    assert depth["description"] == "How deep is it?"
    assert depth["values"][0] == {"key": "shallow", "name": "Less than 5 cm"}
