"""Casework (tickets/services/casework.py, tickets/api_casework.py): assignment, internal
notes, priority and due dates, edit and reroute; the role × action matrix through the API,
the event logs, the audit, the notification of the new jurisdiction, Open311's
`expected_datetime`, the dashboard's views, bulk assign and overdue count."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from moderation.models import AuditEntry
from notifications.models import Notification
from realtime import events
from tests.conftest import BOROUGH_POINT, UNIVERSITY_POINT, actor_for, client_for
from tickets import services
from tickets.models import CaseworkEvent, CaseworkNote, ServiceType, Team, Ticket, TicketEvent
from tickets.open311.params import iso as open311_iso

ROLES = ["owner", "outsider", "anonymous", "agent", "other_agent", "volunteer", "admin"]
STAFF = {"agent", "admin"}  # of a ticket of the Old Port borough: city agents act on it


def _client(role: str, world: dict[str, Any]) -> APIClient:
    if role == "anonymous":
        return APIClient()
    if role == "other_agent":
        user, _ = get_user_model().objects.get_or_create(username="campus-agent")
        world["university"].agents.add(user)
        return client_for(user)
    return client_for(world[role])


@pytest.fixture
def ticket(world: dict[str, Any]) -> Ticket:
    return services.ticket_create(
        actor=actor_for(world["owner"]), title="Fallen tree", service_code="fallen-tree",
        **BOROUGH_POINT,
    )  # fmt: skip


def _call(client: APIClient, action: str, ticket_id: int) -> Any:
    url = f"/api/v1/tickets/{ticket_id}/"
    if action == "assign":
        return client.post(f"{url}assign/", {"assignee": "borough-agent"}, format="json")
    if action == "notes_read":
        return client.get(f"{url}notes/")
    if action == "note":
        return client.post(f"{url}notes/", {"body": "Crew on site at 3"}, format="json")
    return client.patch(url, {"priority": "urgent", "title": "Fallen oak"}, format="json")


@pytest.mark.parametrize("action", ["assign", "notes_read", "note", "edit"])
@pytest.mark.parametrize("role", ROLES)
def test_casework_matrix(world: dict[str, Any], ticket: Ticket, role: str, action: str) -> None:
    answer = _call(_client(role, world), action, ticket.pk)
    after = Ticket.objects.get(pk=ticket.pk)
    if role not in STAFF:
        assert answer.status_code == 403, answer.content
        assert after.assignee_id is None and after.priority == ticket.priority
        assert after.title == "Fallen tree" and after.seq == ticket.seq
        assert not CaseworkNote.objects.exists() and not CaseworkEvent.objects.exists()
        return
    assert answer.status_code == (201 if action == "note" else 200), answer.content
    if action == "assign":
        assert answer.json()["assignee"] == "borough-agent"
        assert CaseworkEvent.objects.get().type == events.TICKET_ASSIGNED
    elif action == "note":
        assert CaseworkNote.objects.get().body == "Crew on site at 3"
    elif action == "edit":
        assert (after.priority, after.title) == ("urgent", "Fallen oak")
    # Staff-only happenings never take a public seq.
    assert after.seq == ticket.seq + (1 if action == "edit" else 0)


def test_staff_see_casework_fields_others_do_not(world: dict[str, Any], ticket: Ticket) -> None:
    services.ticket_assign(actor=actor_for(world["agent"]), ticket_id=ticket.pk, assignee="agent")
    staff = client_for(world["agent"]).get(f"/api/v1/tickets/{ticket.pk}/").json()
    assert staff["assignee"] == "agent" and staff["priority"] == "normal"
    assert set(staff) >= {"team", "due_at", "overdue"}
    for role in ("owner", "anonymous", "other_agent", "volunteer"):
        public = _client(role, world).get(f"/api/v1/tickets/{ticket.pk}/").json()
        assert not {"assignee", "team", "priority", "due_at", "overdue"} & set(public), role
        listed = _client(role, world).get("/api/v1/tickets/").json()["results"]
        assert all("assignee" not in item for item in listed), role


def test_assign_to_team_and_unassign(world: dict[str, Any], ticket: Ticket) -> None:
    team = Team.objects.create(jurisdiction=world["city"], name="Forestry", slug="forestry")
    agent = client_for(world["agent"])
    answer = agent.post(f"/api/v1/tickets/{ticket.pk}/assign/", {"team": "forestry"}, format="json")
    assert answer.status_code == 200 and answer.json()["team"] == "forestry"
    assert Ticket.objects.get(pk=ticket.pk).team == team
    answer = agent.post(f"/api/v1/tickets/{ticket.pk}/assign/", {}, format="json")
    assert answer.json()["team"] is None and answer.json()["assignee"] is None
    logged = list(CaseworkEvent.objects.filter(ticket=ticket).values_list("data", flat=True))
    assert [d["team"] for d in logged] == ["forestry", None]


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        ("assign/", {"assignee": "outsider"}, "assignee"),  # not an agent here
        ("assign/", {"assignee": "nobody-at-all"}, "assignee"),
        ("assign/", {"team": "no-such-team"}, "team"),
        ("notes/", {"body": "   "}, "body"),
        ("notes/", {}, "body"),
        ("", {"priority": "whenever"}, "priority"),
        ("", {"due_at": "tomorrow-ish"}, "due_at"),
        ("", {"lat": 91}, "lat"),
        ("", {"title": ""}, "title"),
        ("", {"service_code": "teleporter"}, "service_code"),
        ("", {"service_code": "campus-access"}, "service_code"),  # not offered in Old Port
        ("", {"lat": 48.85, "long": 2.35}, "lat"),  # outside every jurisdiction
        ("", {"jurisdiction": "riverton-university"}, "jurisdiction"),  # point not inside
    ],
)
def test_bad_casework_input_is_a_400_naming_the_field(
    world: dict[str, Any], ticket: Ticket, path: str, payload: dict[str, Any], field: str
) -> None:
    agent = client_for(world["agent"])
    url = f"/api/v1/tickets/{ticket.pk}/{path}"
    answer = (
        agent.patch(url, payload, format="json")
        if not path
        else agent.post(url, payload, format="json")
    )
    assert answer.status_code == 400, answer.content
    assert field in answer.json(), answer.json()
    after = Ticket.objects.get(pk=ticket.pk)
    assert after.seq == ticket.seq and after.jurisdiction_id == ticket.jurisdiction_id
    assert not CaseworkEvent.objects.exists()


def test_forbidden_before_bad_input(world: dict[str, Any], ticket: Ticket) -> None:
    outsider = client_for(world["outsider"])
    answer = outsider.patch(f"/api/v1/tickets/{ticket.pk}/", {"priority": "??"}, format="json")
    assert answer.status_code == 403


def test_notes_oldest_first_and_staff_only_live(world: dict[str, Any], ticket: Ticket) -> None:
    agent = client_for(world["agent"])
    for body in ("first", "second"):
        assert agent.post(f"/api/v1/tickets/{ticket.pk}/notes/", {"body": body}).status_code == 201
    notes = agent.get(f"/api/v1/tickets/{ticket.pk}/notes/").json()
    assert [n["body"] for n in notes] == ["first", "second"]
    assert notes[0]["author"] == "Alex Agent"
    assert not TicketEvent.objects.filter(ticket=ticket, data__icontains="second").exists()


def test_defaults_per_service_type_and_open311_expected_datetime(world: dict[str, Any]) -> None:
    ServiceType.objects.filter(code="fallen-tree").update(
        default_priority="high", default_due_hours=4
    )
    before = timezone.now()
    ticket = services.ticket_create(
        actor=actor_for(world["owner"]), title="Tree", service_code="fallen-tree", **BOROUGH_POINT
    )
    assert ticket.priority == "high"
    assert ticket.due_at is not None
    assert timedelta(hours=4) <= ticket.due_at - before < timedelta(hours=4, minutes=1)
    answer = Client().get(f"/open311/v2/requests/{ticket.pk}.json").json()[0]
    assert answer["expected_datetime"] == open311_iso(ticket.due_at)
    plain = services.ticket_create(
        actor=actor_for(world["owner"]), title="Snow", service_code="snow", **BOROUGH_POINT
    )
    assert plain.priority == "normal" and plain.due_at is None
    assert (
        Client().get(f"/open311/v2/requests/{plain.pk}.json").json()[0]["expected_datetime"] is None
    )


def test_priority_and_due_date_are_staff_events(world: dict[str, Any], ticket: Ticket) -> None:
    agent = client_for(world["agent"])
    due = (timezone.now() - timedelta(hours=1)).isoformat()
    answer = agent.patch(
        f"/api/v1/tickets/{ticket.pk}/", {"priority": "urgent", "due_at": due}, format="json"
    )
    assert answer.status_code == 200
    assert answer.json()["overdue"] is True and answer.json()["priority"] == "urgent"
    event = CaseworkEvent.objects.get(ticket=ticket)
    assert event.type == events.TICKET_PRIORITY_CHANGED and event.data["overdue"] is True
    events.validate(events.envelope(type=event.type, ticket=ticket.pk, data=event.data))
    assert Ticket.objects.get(pk=ticket.pk).seq == ticket.seq  # no public event
    cleared = agent.patch(f"/api/v1/tickets/{ticket.pk}/", {"due_at": None}, format="json")
    assert cleared.json()["due_at"] is None


def test_public_edit_is_a_ticket_updated_event(world: dict[str, Any], ticket: Ticket) -> None:
    answer = client_for(world["agent"]).patch(
        f"/api/v1/tickets/{ticket.pk}/",
        {"title": "Fallen maple", "description": "Blocks the lane", "service_code": "snow"},
        format="json",
    )
    assert answer.status_code == 200
    event = TicketEvent.objects.get(ticket=ticket, seq=ticket.seq + 1)
    assert event.type == events.TICKET_UPDATED
    assert event.data["changed"] == ["description", "service_code", "title"]
    events.validate(
        events.envelope(type=event.type, ticket=ticket.pk, seq=event.seq, data=event.data)
    )


def test_reroute_audited_notified_and_assignment_cleared(
    world: dict[str, Any], ticket: Ticket
) -> None:
    """The city agent moves a borough ticket onto the campus: the university has no agents
    of its own, so the city's are told (not the mover); back to the borough, its agent is."""
    agent = actor_for(world["agent"])
    services.ticket_assign(actor=agent, ticket_id=ticket.pk, assignee="borough-agent")
    answer = client_for(world["agent"]).patch(
        f"/api/v1/tickets/{ticket.pk}/", {**UNIVERSITY_POINT, "service_code": "snow"},
        format="json",
    )  # fmt: skip
    assert answer.status_code == 200, answer.content
    assert answer.json()["jurisdiction"] == "riverton-university"
    assert answer.json()["assignee"] is None
    moved = TicketEvent.objects.get(ticket=ticket, seq=ticket.seq + 1)
    assert moved.data["jurisdiction"] == "riverton-university"
    assert moved.data["previous_jurisdiction"] == "old-port"
    entry = AuditEntry.objects.get(action="ticket.reroute")
    assert entry.before == {"jurisdiction": "old-port"}
    assert entry.after == {"jurisdiction": "riverton-university"}
    assert entry.actor_name == "agent" and entry.ticket_id_ref == ticket.pk
    assert not Notification.objects.filter(kind="ticket.rerouted").exists()  # mover only
    services.ticket_edit(actor=agent, ticket_id=ticket.pk, **BOROUGH_POINT)
    bell = Notification.objects.get(kind="ticket.rerouted")
    assert bell.user == world["borough-agent"]
    assert "Old Port Borough" in bell.text
    assert AuditEntry.objects.filter(action="ticket.reroute").count() == 2
    types = list(CaseworkEvent.objects.filter(ticket=ticket).values_list("type", flat=True))
    assert types == [events.TICKET_ASSIGNED, events.TICKET_ASSIGNED, events.TICKET_REROUTED,
                     events.TICKET_REROUTED]  # fmt: skip


def test_a_point_still_inside_keeps_the_jurisdiction(world: dict[str, Any], ticket: Ticket) -> None:
    services.ticket_edit(
        actor=actor_for(world["agent"]), ticket_id=ticket.pk, lat=45.5051, long=-73.5521
    )
    after = Ticket.objects.get(pk=ticket.pk)
    assert after.jurisdiction == world["old_port"] and after.lat == 45.5051
    assert not AuditEntry.objects.filter(action="ticket.reroute").exists()


# --- Dashboard ---------------------------------------------------------------------------------


def _web(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_dashboard_views_bulk_assign_and_overdue(world: dict[str, Any]) -> None:
    agent = actor_for(world["agent"])
    team = Team.objects.create(jurisdiction=world["city"], name="Forestry", slug="forestry")
    team.members.add(world["agent"])
    tickets = [
        services.ticket_create(
            actor=actor_for(world["owner"]), title=f"Tree {n}", service_code="fallen-tree",
            **BOROUGH_POINT,
        )
        for n in range(3)
    ]  # fmt: skip
    services.ticket_edit(
        actor=agent, ticket_id=tickets[2].pk, due_at=timezone.now() - timedelta(hours=2)
    )
    web = _web(world["agent"])
    page = web.get("/dashboard/").content.decode()
    assert 'data-testid="overdue-count"' in page
    assert '<span class="kpi-value">1</span>' in page.split('data-testid="overdue-count"')[1][:80]
    assert page.count('data-overdue="true"') == 1
    answer = web.post(
        "/dashboard/bulk/",
        {"action": "assign", "assign_to": "user:agent", "tickets": [tickets[0].pk, tickets[1].pk],
         "next": "/dashboard/"},
    )  # fmt: skip
    assert answer.status_code == 303
    assert set(Ticket.objects.filter(assignee=world["agent"]).values_list("pk", flat=True)) == {
        tickets[0].pk, tickets[1].pk,
    }  # fmt: skip
    web.post("/dashboard/bulk/", {"action": "assign", "assign_to": "team:forestry",
                                  "tickets": [tickets[2].pk]})  # fmt: skip

    def rows(view: str) -> set[int]:
        html = web.get(f"/dashboard/queue/?view={view}").content.decode()
        return {t.pk for t in tickets if f'data-ticket-id="{t.pk}"' in html}

    assert rows("mine") == {tickets[0].pk, tickets[1].pk}
    assert rows("team") == {tickets[2].pk}
    assert rows("unassigned") == set()
    services.ticket_assign(actor=agent, ticket_id=tickets[0].pk)
    assert rows("unassigned") == {tickets[0].pk}
    for testid in ("dashboard-view-mine", "dashboard-view-team", "dashboard-view-unassigned",
                   "bulk-assign-form"):  # fmt: skip
        assert f'data-testid="{testid}"' in page


def test_bulk_assign_by_someone_of_another_place_changes_nothing(world: dict[str, Any]) -> None:
    ticket = services.ticket_create(
        actor=actor_for(world["owner"]), title="Tree", service_code="snow", **BOROUGH_POINT
    )
    campus, _ = get_user_model().objects.get_or_create(username="campus-agent")
    world["university"].agents.add(campus)
    _web(campus).post(
        "/dashboard/bulk/",
        {"action": "assign", "assign_to": "user:campus-agent", "tickets": [ticket.pk]},
    )
    assert Ticket.objects.get(pk=ticket.pk).assignee_id is None


def test_casework_panel_on_the_ticket_page_for_staff_only(
    world: dict[str, Any], ticket: Ticket
) -> None:
    services.note_create(actor=actor_for(world["agent"]), ticket_id=ticket.pk, body="Saw it")
    staff_page = _web(world["agent"]).get(f"/tickets/{ticket.pk}/").content.decode()
    for testid in ("casework-panel", "assign-form", "note-form", "note-list", "priority", "due-at"):
        assert f'data-testid="{testid}"' in staff_page, testid
    assert "Saw it" in staff_page
    for user in (world["owner"], world["volunteer"]):
        page = _web(user).get(f"/tickets/{ticket.pk}/").content.decode()
        assert "casework-panel" not in page and "Saw it" not in page


def test_casework_forms_on_the_ticket_page(world: dict[str, Any], ticket: Ticket) -> None:
    web = _web(world["agent"])
    url = f"/tickets/{ticket.pk}/casework/"
    assert web.post(url, {"op": "note", "body": "From the form"}).status_code == 303
    assert web.post(url, {"op": "assign", "assign_to": "user:agent"}).status_code == 303
    assert (
        web.post(
            url, {"op": "priority", "priority": "high", "due_at": "2030-01-02T03:04"}
        ).status_code
        == 303
    )
    after = Ticket.objects.get(pk=ticket.pk)
    assert after.assignee == world["agent"] and after.priority == "high"
    assert after.due_at is not None and after.due_at.year == 2030
    assert CaseworkNote.objects.get().body == "From the form"
    assert _web(world["owner"]).post(url, {"op": "note", "body": "x"}).status_code == 403
    assert CaseworkNote.objects.count() == 1
