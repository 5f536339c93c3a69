"""The pages a person lands on when they may not open a page or when something breaks: in
the page's language, in the site's frame where it can be (they were Django's bare English
"403 Forbidden" and "Server Error (500)")."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import include, path

pytestmark = pytest.mark.django_db


def _broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


# A URL conf with one broken page, and the project's own 500 handler.
urlpatterns = [path("broken/", _broken), path("", include("project.urls"))]
handler500 = "project.errors.server_error"


def test_a_page_someone_may_not_open_says_why_in_their_language(world: dict[str, Any]) -> None:
    for language, words in (
        ("fr", ("Accès refusé", "Le tableau de bord est réservé aux agents des territoires.")),
        ("en", ("Not allowed", "The dashboard is for the jurisdictions' agents.")),
    ):
        citizen = Client(HTTP_ACCEPT_LANGUAGE=language)
        citizen.force_login(world["citizen"])
        answer = citizen.get("/dashboard/")
        assert answer.status_code == 403
        html = answer.content.decode().replace("&#x27;", "'")
        assert f'<html lang="{language}">' in html
        assert all(w in html for w in words), html[-2000:]
        assert 'data-testid="forbidden"' in html and "403 Forbidden" not in html
        assert 'class="site-nav"' in html  # the site's frame: a way on


@pytest.mark.urls(__name__)
def test_a_broken_page_says_so_in_the_visitors_language(settings: Any) -> None:
    settings.DEBUG = False
    for language, title in (("fr", "Un problème est survenu"), ("en", "Something went wrong")):
        visitor = Client(HTTP_ACCEPT_LANGUAGE=language, raise_request_exception=False)
        answer = visitor.get("/broken/")
        assert answer.status_code == 500
        html = answer.content.decode()
        assert f'<html lang="{language}">' in html and title in html
        assert "Server Error (500)" not in html


def test_an_expired_form_says_so_in_the_visitors_language(world: dict[str, Any]) -> None:
    for language, words in (("fr", "Le formulaire a expiré"), ("en", "The form expired")):
        visitor = Client(HTTP_ACCEPT_LANGUAGE=language, enforce_csrf_checks=True)
        answer = visitor.post("/tickets/new/", {"title": "No token"})
        assert answer.status_code == 403
        html = answer.content.decode()
        assert f'<html lang="{language}">' in html and words in html
