"""The 503 answer when the database is unreachable (project/errors.py), without a real outage:
the PostgreSQL drill (test_postgres_restart.py) does it for real."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_database_errors_answer_503(monkeypatch: Any, make_ticket: Any, error: type) -> None:
    ticket = make_ticket()

    def down(*args: Any, **kwargs: Any) -> None:
        raise error("connection refused")

    from tickets import api, views

    monkeypatch.setattr(views.selectors, "ticket_get", down)
    monkeypatch.setattr(api.TicketViewSet, "get_object", down)
    client = Client(raise_request_exception=False)
    response = client.get(f"/api/v1/tickets/{ticket.pk}/", HTTP_ACCEPT="application/json")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["code"] == "database_unavailable"
    page = client.get(f"/tickets/{ticket.pk}/", HTTP_ACCEPT="text/html")
    assert page.status_code == 503
    assert page["Content-Type"].startswith("text/html")
    assert b"unavailable" in page.content


def test_other_errors_stay_500(monkeypatch: Any, make_ticket: Any) -> None:
    ticket = make_ticket()

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("a bug")

    from tickets import views

    monkeypatch.setattr(views.selectors, "ticket_get", broken)
    response = Client(raise_request_exception=False).get(f"/tickets/{ticket.pk}/")
    assert response.status_code == 500
