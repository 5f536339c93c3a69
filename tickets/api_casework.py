"""Casework endpoints of `/api/v1/tickets/{id}/`: `assign/`, `notes/` and `PATCH` (edit,
priority, due date, reroute). A mixin of `tickets.api.TicketViewSet`, thin over
`tickets.services`; staff only: anyone else gets 403 before their input is read."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from tickets import permissions, services
from tickets.errors import NotAllowed
from tickets.identity import actor_from_request
from tickets.models import Ticket
from tickets.serializers_casework import (
    AssignSerializer,
    CaseworkTicketSerializer,
    NoteCreateSerializer,
    NoteSerializer,
    TicketEditSerializer,
)


class CaseworkActions:
    """Mixed into `TicketViewSet` (which provides `get_object`, `_ticket`)."""

    get_object: Any
    _ticket: Any

    def _staff_object(self, request: Request) -> Ticket:
        ticket: Ticket = self.get_object()
        if not permissions.can_do_casework(request.user, ticket):
            raise NotAllowed(_("Only staff of the ticket's jurisdiction can do this."))
        return ticket

    @extend_schema(request=AssignSerializer, responses={200: CaseworkTicketSerializer})
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str | None = None) -> Response:
        """Assign to an agent (`assignee`, a username) and/or a team (`team`, a slug) of the
        ticket's jurisdiction; neither unassigns it."""
        ticket = self._staff_object(request)
        data = _validated(AssignSerializer, request.data)
        services.ticket_assign(
            actor=actor_from_request(request),
            ticket_id=ticket.pk,
            assignee=data.get("assignee") or None,
            team=data.get("team") or None,
        )
        return self._ticket(ticket.pk)

    @extend_schema(methods=["GET"], responses={200: NoteSerializer(many=True)})
    @extend_schema(methods=["POST"], request=NoteCreateSerializer, responses={201: NoteSerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def notes(self, request: Request, pk: str | None = None) -> Response:
        """Internal notes, oldest first: staff of the ticket's jurisdiction only."""
        ticket = self._staff_object(request)
        actor = actor_from_request(request)
        if request.method == "POST":
            data = _validated(NoteCreateSerializer, request.data)
            note = services.note_create(actor=actor, ticket_id=ticket.pk, body=data["body"])
            return Response(
                NoteSerializer(services.note_data(note)).data, status=status.HTTP_201_CREATED
            )
        notes = services.notes_for(actor=actor, ticket=ticket)
        return Response(NoteSerializer([services.note_data(n) for n in notes], many=True).data)

    @extend_schema(request=TicketEditSerializer, responses={200: CaseworkTicketSerializer})
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        """Edit title, description, type, location (outside its jurisdiction: rerouted),
        priority and due date."""
        ticket = self._staff_object(request)
        data = _validated(TicketEditSerializer, request.data)
        due: Any = data.pop("due_at") if "due_at" in data else ...
        services.ticket_edit(
            actor=actor_from_request(request), ticket_id=ticket.pk, due_at=due, **data
        )
        return self._ticket(ticket.pk)


def _validated(serializer_class: Any, data: Any) -> dict[str, Any]:
    """As `tickets.api._validated` (kept here: `tickets.api` imports this module)."""
    if not isinstance(data, dict):
        raise ValidationError({"detail": "The body must be a JSON object."})
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
