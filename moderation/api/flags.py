"""Flagging a comment."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from moderation import services
from moderation.api._common import _body
from moderation.models import Flag
from tickets.identity import actor_from_request


class FlagResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    comment = serializers.IntegerField()
    reason = serializers.CharField()
    hidden = serializers.BooleanField()


@extend_schema(
    request=inline_serializer(
        "FlagRequest",
        {
            "reason": serializers.ChoiceField(choices=[c for c in Flag.Reason.values if c]),
            "details": serializers.CharField(required=False),
        },
    ),
    responses={201: FlagResultSerializer},
)
@api_view(["POST"])
def flag(request: Request, comment_id: int) -> Response:
    """Flag a comment: anyone, once per person (a second flag answers 409)."""
    data = _body(request)
    created, hidden = services.flag_create(
        actor=actor_from_request(request),
        comment_id=comment_id,
        reason=data.get("reason"),
        details=data.get("details", ""),
    )
    return Response(
        {"id": created.pk, "comment": comment_id, "reason": created.reason, "hidden": hidden},
        status=status.HTTP_201_CREATED,
    )
