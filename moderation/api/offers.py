"""Volunteer offers on tickets and emergency events."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from moderation import permissions, selectors, services
from moderation.api._common import Reason, _body
from moderation.models import Offer
from tickets import selectors as ticket_selectors
from tickets.errors import NotFound
from tickets.identity import actor_from_request


class OfferSerializer(serializers.Serializer):
    """Public form: id, status, author (a label), created_at. The private form (for those
    handling offers, and for its author) adds everything else, contact included."""

    id = serializers.IntegerField()
    status = serializers.CharField()
    author = serializers.CharField(required=False)
    created_at = serializers.CharField()
    ticket = serializers.IntegerField(required=False, allow_null=True)
    event = serializers.CharField(required=False, allow_null=True)
    held = serializers.BooleanField(required=False)
    message = serializers.CharField(required=False)
    skills = serializers.CharField(required=False, allow_blank=True)
    availability = serializers.CharField(required=False, allow_blank=True)
    area = serializers.CharField(required=False, allow_blank=True)
    contact = serializers.CharField(required=False)
    author_key = serializers.CharField(required=False)
    note = serializers.CharField(required=False, allow_blank=True)
    jurisdiction = serializers.CharField(required=False, allow_null=True)
    jurisdiction_id = serializers.IntegerField(required=False, allow_null=True)


OfferRequest = inline_serializer(
    "OfferRequest",
    {
        "message": serializers.CharField(),
        "skills": serializers.CharField(required=False),
        "availability": serializers.CharField(required=False),
        "area": serializers.CharField(required=False),
        "contact": serializers.CharField(),
        "event": serializers.SlugField(required=False),
    },
)


def offer_for(offer: Offer, request: Request) -> dict[str, Any]:
    """Private view for the people handling it and for its author; public otherwise."""
    actor = actor_from_request(request)
    if selectors.can_handle_offer(request.user, offer):
        return selectors.offer_private(offer)
    if (actor.is_authenticated or actor.anon_token) and offer.author.key == actor.key:
        data = selectors.offer_private(offer)
        data.pop("author_key", None)
        return data
    return selectors.offer_public(offer)


def _create_offer(
    request: Request, *, ticket_id: int | None, emergency_slug: str | None
) -> Response:
    data = _body(request)
    offer = services.offer_create(
        actor=actor_from_request(request),
        ticket_id=ticket_id,
        emergency_slug=emergency_slug if emergency_slug is not None else data.get("event"),
        message=data.get("message"),
        skills=data.get("skills", ""),
        availability=data.get("availability", ""),
        area=data.get("area", ""),
        contact=data.get("contact"),
    )
    answer = offer_for(offer, request)
    held = offer.held
    return Response(answer, status=status.HTTP_202_ACCEPTED if held else status.HTTP_201_CREATED)


@extend_schema(request=OfferRequest, responses={201: OfferSerializer, 202: OfferSerializer})
@extend_schema(methods=["GET"], responses={200: OfferSerializer(many=True)})
@api_view(["GET", "POST"])
def ticket_offers(request: Request, ticket_id: int) -> Response:
    """POST: offer help (201, or 202 when held for review). GET: public offers (accepted or
    completed, as "a neighbour is helping"), or all of them for those handling offers."""
    ticket = ticket_selectors.ticket_get(ticket_id)
    if ticket is None:
        raise NotFound("No such ticket.")
    if request.method == "POST":
        return _create_offer(request, ticket_id=ticket.pk, emergency_slug=None)
    if permissions.can_moderate_ticket(request.user, ticket):
        rows = selectors.offers_for(user=request.user, ticket=ticket)
        return Response([selectors.offer_private(o) for o in rows])
    return Response([selectors.offer_public(o) for o in selectors.public_offers(ticket)])


@extend_schema(request=OfferRequest, responses={201: OfferSerializer, 202: OfferSerializer})
@api_view(["POST"])
def emergency_offers(request: Request, slug: str) -> Response:
    return _create_offer(request, ticket_id=None, emergency_slug=slug)


@extend_schema(responses={200: OfferSerializer})
@api_view(["GET"])
def offer_detail(request: Request, offer_id: int) -> Response:
    if offer_id > 2**62:
        raise NotFound("No such offer.")
    offer = Offer.objects.select_related("ticket", "event", "author").filter(pk=offer_id).first()
    if offer is None:
        raise NotFound("No such offer.")
    data = offer_for(offer, request)
    if "contact" not in data and offer.status not in selectors.PUBLIC_OFFER_STATUSES:
        raise NotFound("No such offer.")
    return Response(data)


@extend_schema(
    request=inline_serializer(
        "OfferReview",
        {
            "decision": serializers.ChoiceField(choices=sorted(services.OFFER_DECISIONS)),
            "note": serializers.CharField(required=False),
        },
    ),
    responses={200: OfferSerializer},
)
@api_view(["POST"])
def offer_review(request: Request, offer_id: int) -> Response:
    data = _body(request)
    offer = services.offer_review(
        actor=actor_from_request(request),
        offer_id=offer_id,
        decision=data.get("decision"),
        note=data.get("note", ""),
    )
    return Response(selectors.offer_private(offer))


@extend_schema(request=Reason, responses={200: OfferSerializer})
@api_view(["POST"])
def offer_withdraw(request: Request, offer_id: int) -> Response:
    offer = services.offer_withdraw(
        actor=actor_from_request(request),
        offer_id=offer_id,
        reason=_body(request).get("reason", ""),
    )
    return Response(offer_for(offer, request))
