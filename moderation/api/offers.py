"""Volunteer offers on tickets and emergencies."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from moderation import permissions, selectors, services
from moderation.api._common import require_moderator, validated
from moderation.api.fields import Choice, Reference, Text
from moderation.models import Offer
from moderation.services.offers import CONTACT_MAX, DECISION_MESSAGE, DETAIL_MAX, MESSAGE_MAX
from tickets import selectors as ticket_selectors
from tickets.errors import NotFound
from tickets.identity import actor_from_request


class OfferRequestSerializer(serializers.Serializer):
    """`event`, an emergency's slug, is read on a ticket's offers only (on an emergency's
    offers, the URL names it)."""

    message = Text(max_length=MESSAGE_MAX)
    skills = Text(max_length=DETAIL_MAX, blank=True)
    availability = Text(max_length=DETAIL_MAX, blank=True)
    area = Text(max_length=DETAIL_MAX, blank=True)
    contact = Text(max_length=CONTACT_MAX)
    event = Reference()


class OfferReviewSerializer(serializers.Serializer):
    decision = Choice(sorted(services.OFFER_DECISIONS), message=gettext_lazy(DECISION_MESSAGE))
    note = Text(max_length=MESSAGE_MAX, blank=True)
    # The status the caller's screen shows: a late click (someone decided first) is a 409.
    expect = Choice(
        sorted(Offer.Status.values),
        message=gettext_lazy("Unknown offer status."),
        required=False,
    )


class OfferWithdrawSerializer(serializers.Serializer):
    reason = Text(max_length=services.REASON_MAX, blank=True)


class OfferSerializer(serializers.Serializer):
    """Public form: id, status, author (a label), created_at. The private form (for those
    handling offers, and for its author) adds everything else, contact included."""

    # Rendered by `moderation.selectors.offer_public` / `offer_private`, the definitions the
    # ticket's event log and the moderation feed use too. `context["form"]` picks one:
    # "private", "public", or "viewer" (the default: the form `context["request"]` may see).

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

    def to_representation(self, instance: Offer) -> dict[str, Any]:
        form = self.context.get("form", "viewer")
        if form == "private":
            return selectors.offer_private(instance)
        if form == "public":
            return selectors.offer_public(instance)
        return _for_viewer(instance, self.context["request"])


def _for_viewer(offer: Offer, request: Request) -> dict[str, Any]:
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
    data = validated(OfferRequestSerializer, request)
    body_slug = data.pop("event")
    offer = services.offer_create(
        actor=actor_from_request(request),
        ticket_id=ticket_id,
        emergency_slug=emergency_slug if emergency_slug is not None else body_slug,
        **data,
    )
    answer = OfferSerializer(offer, context={"request": request}).data
    return Response(
        answer, status=status.HTTP_202_ACCEPTED if offer.held else status.HTTP_201_CREATED
    )


@extend_schema(
    methods=["POST"],
    request=OfferRequestSerializer,
    responses={201: OfferSerializer, 202: OfferSerializer},
)
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
        return Response(OfferSerializer(rows, many=True, context={"form": "private"}).data)
    rows = selectors.public_offers(ticket)
    return Response(OfferSerializer(rows, many=True, context={"form": "public"}).data)


@extend_schema(
    request=OfferRequestSerializer, responses={201: OfferSerializer, 202: OfferSerializer}
)
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
    data = OfferSerializer(offer, context={"request": request}).data
    if "contact" not in data and offer.status not in selectors.PUBLIC_OFFER_STATUSES:
        raise NotFound("No such offer.")
    return Response(data)


@extend_schema(request=OfferReviewSerializer, responses={200: OfferSerializer})
@api_view(["POST"])
def offer_review(request: Request, offer_id: int) -> Response:
    data = validated(OfferReviewSerializer, request)
    offer = services.offer_review(actor=actor_from_request(request), offer_id=offer_id, **data)
    return Response(OfferSerializer(offer, context={"form": "private"}).data)


@extend_schema(request=OfferWithdrawSerializer, responses={200: OfferSerializer})
@api_view(["POST"])
def offer_withdraw(request: Request, offer_id: int) -> Response:
    data = validated(OfferWithdrawSerializer, request)
    offer = services.offer_withdraw(actor=actor_from_request(request), offer_id=offer_id, **data)
    return Response(OfferSerializer(offer, context={"request": request}).data)


@extend_schema(responses={200: OfferSerializer(many=True)})
@api_view(["GET"])
def offer_queue(request: Request) -> Response:
    """The console's offer queue: pending and accepted offers the caller handles, with their
    contact, oldest first."""
    require_moderator(request)
    rows = selectors.pending_offers(user=request.user)
    return Response(OfferSerializer(rows, many=True, context={"form": "private"}).data)
