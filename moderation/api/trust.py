"""Trusted volunteers: grant and revoke."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from moderation import services
from moderation.api._common import _body
from moderation.models import TrustGrant
from realtime.events import iso
from tickets.identity import actor_from_request


class TrustSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    action = serializers.CharField()
    reason = serializers.CharField()
    by = serializers.CharField(allow_null=True)
    at = serializers.CharField()


TrustRequest = inline_serializer(
    "TrustRequest", {"username": serializers.CharField(), "reason": serializers.CharField()}
)


def trust_data(record: TrustGrant) -> dict[str, Any]:
    return {
        "id": record.pk,
        "username": record.user.get_username(),
        "action": record.action,
        "reason": record.reason,
        "by": record.by.get_username() if record.by else None,
        "at": iso(record.at),
    }


@extend_schema(request=TrustRequest, responses={201: TrustSerializer})
@api_view(["POST"])
def trust(request: Request) -> Response:
    data = _body(request)
    record = services.trust_grant(
        actor=actor_from_request(request), username=data.get("username"), reason=data.get("reason")
    )
    return Response(trust_data(record), status=status.HTTP_201_CREATED)


@extend_schema(request=TrustRequest, responses={200: TrustSerializer})
@api_view(["POST"])
def trust_revoke(request: Request) -> Response:
    data = _body(request)
    record = services.trust_revoke(
        actor=actor_from_request(request), username=data.get("username"), reason=data.get("reason")
    )
    return Response(trust_data(record))
