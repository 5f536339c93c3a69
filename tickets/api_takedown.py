"""Takedown endpoints of `/api/v1/tickets/{id}/`: `hide/` and `restore/` (a reason). A mixin of
`tickets.api.TicketViewSet`, thin over `tickets.services.ticket_set_visibility`, which answers
403 to anyone but the ticket's moderators before telling whether it exists or is hidden."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from tickets import services
from tickets.identity import actor_from_request
from tickets.models import Ticket
from tickets.serializers_casework import CaseworkTicketSerializer
from tickets.serializers_takedown import TakedownSerializer


class TakedownActions:
    """Mixed into `TicketViewSet` (which provides `_ticket`)."""

    _ticket: Any

    def _set_visibility(self, request: Request, pk: str | None, visibility: str) -> Response:
        actor = actor_from_request(request)
        services.require_some_moderator(actor)  # 403 before the input is read
        if not isinstance(request.data, dict):
            raise ValidationError({"detail": "The body must be a JSON object."})
        serializer = TakedownSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            ticket_id = int(pk or "")
        except ValueError:
            ticket_id = 0  # the URL only routes digits; a 0 is "no such ticket"
        ticket = services.ticket_set_visibility(
            actor=actor,
            ticket_id=ticket_id,
            visibility=visibility,
            reason=serializer.validated_data["reason"],
        )
        return self._ticket(ticket.pk)

    @extend_schema(request=TakedownSerializer, responses={200: CaseworkTicketSerializer})
    @action(detail=True, methods=["post"])
    def hide(self, request: Request, pk: str | None = None) -> Response:
        """Take a ticket down (its moderators only; a reason is required): it leaves every
        public list, map, feed, export and Open311, and its page is a 404 for the public.
        Its reporter and moderators still see it, marked `visibility: hidden`. 409 if it
        already is."""
        return self._set_visibility(request, pk, Ticket.Visibility.HIDDEN)

    @extend_schema(request=TakedownSerializer, responses={200: CaseworkTicketSerializer})
    @action(detail=True, methods=["post"])
    def restore(self, request: Request, pk: str | None = None) -> Response:
        """Bring a taken-down ticket back everywhere (a reason is required); 409 if visible."""
        return self._set_visibility(request, pk, Ticket.Visibility.VISIBLE)
