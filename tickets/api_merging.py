"""Casework API: `POST /api/v1/tickets/{id}/merge/` and `…/unmerge/` (staff of the ticket's
jurisdiction). Thin: one input and one output serializer each, the rules in
`tickets.services.merging`."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from tickets import selectors, services
from tickets.api import _rendered, _validated
from tickets.identity import actor_from_request
from tickets.serializers import TicketSerializer


class MergeSerializer(serializers.Serializer):
    into = serializers.IntegerField(
        min_value=1, max_value=2**31, help_text="The id of the ticket this one duplicates."
    )
    note = serializers.CharField(
        max_length=services.NOTE_MAX, required=False, allow_blank=True, default=""
    )


class UnmergeSerializer(serializers.Serializer):
    note = serializers.CharField(
        max_length=services.NOTE_MAX, required=False, allow_blank=True, default=""
    )


def _answer(request: Request, ticket_id: int) -> Response:
    ticket = selectors.ticket_get(ticket_id)
    if ticket is None:
        raise Http404
    return _rendered(TicketSerializer, ticket, context={"request": request})


@extend_schema(request=MergeSerializer, responses={200: TicketSerializer})
@api_view(["POST"])
def merge(request: Request, pk: int) -> Response:
    """Close this ticket as a duplicate of `into`; its followers and votes move there."""
    if selectors.ticket_get(pk) is None:
        raise Http404
    data = _validated(MergeSerializer, request.data)
    services.ticket_merge(actor=actor_from_request(request), ticket_id=pk, **data)
    return _answer(request, pk)


@extend_schema(request=UnmergeSerializer, responses={200: TicketSerializer})
@api_view(["POST"])
def unmerge(request: Request, pk: int) -> Response:
    """Undo the merge: the ticket, its status, followers and votes come back."""
    if selectors.ticket_get(pk) is None:
        raise Http404
    data = _validated(UnmergeSerializer, request.data)
    services.ticket_unmerge(actor=actor_from_request(request), ticket_id=pk, **data)
    return _answer(request, pk)
