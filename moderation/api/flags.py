"""Flagging a comment, a ticket or a volunteer offer: one body, one answer."""

from __future__ import annotations

from typing import Any

from django.utils.functional import lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from moderation import services
from moderation.api._common import validated
from moderation.api.fields import Choice, Text
from moderation.models import Flag
from moderation.services.flags import FLAG_REASONS, flag_reason_message
from tickets.identity import actor_from_request


class FlagRequestSerializer(serializers.Serializer):
    reason = Choice(FLAG_REASONS, message=lazy(flag_reason_message, str)())
    details = Text(max_length=services.DETAILS_MAX, blank=True)


class FlagResultSerializer(serializers.Serializer):
    """The new flag; `hidden` says whether it hid the comment (tickets and offers are never
    hidden by flags alone: a moderator decides)."""

    # `hidden` comes from context["hidden"] (flag_create's answer).

    id = serializers.IntegerField()
    kind = serializers.CharField()
    comment = serializers.IntegerField(source="comment_id", allow_null=True)
    ticket = serializers.IntegerField(source="ticket_id", allow_null=True)
    offer = serializers.IntegerField(source="offer_id", allow_null=True)
    reason = serializers.CharField()
    hidden = serializers.SerializerMethodField()

    def get_hidden(self, flag: Flag) -> bool:
        return bool(self.context["hidden"])


@extend_schema(request=FlagRequestSerializer, responses={201: FlagResultSerializer})
@api_view(["POST"])
def flag(request: Request, comment_id: int) -> Response:
    """Flag a comment: anyone, once per person (a second flag answers 409)."""
    data: dict[str, Any] = validated(FlagRequestSerializer, request)
    created, hidden = services.flag_create(
        actor=actor_from_request(request), comment_id=comment_id, **data
    )
    answer = FlagResultSerializer(created, context={"hidden": hidden}).data
    return Response(answer, status=status.HTTP_201_CREATED)


@extend_schema(request=FlagRequestSerializer, responses={201: FlagResultSerializer})
@api_view(["POST"])
def flag_ticket(request: Request, ticket_id: int) -> Response:
    """Flag a ticket: anyone, once per person (409 after); a moderator decides."""
    data: dict[str, Any] = validated(FlagRequestSerializer, request)
    created = services.flag_ticket(actor=actor_from_request(request), ticket_id=ticket_id, **data)
    answer = FlagResultSerializer(created, context={"hidden": False}).data
    return Response(answer, status=status.HTTP_201_CREATED)


@extend_schema(request=FlagRequestSerializer, responses={201: FlagResultSerializer})
@api_view(["POST"])
def flag_offer(request: Request, offer_id: int) -> Response:
    """Flag a publicly shown volunteer offer: anyone, once per person (409 after)."""
    data: dict[str, Any] = validated(FlagRequestSerializer, request)
    created = services.flag_offer(actor=actor_from_request(request), offer_id=offer_id, **data)
    answer = FlagResultSerializer(created, context={"hidden": False}).data
    return Response(answer, status=status.HTTP_201_CREATED)
