"""Trusted volunteers: grant and revoke."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from moderation import services
from moderation.api._common import validated
from moderation.api.fields import Key, Text, When
from moderation.models import TrustGrant
from tickets.identity import actor_from_request


class TrustRequestSerializer(serializers.Serializer):
    username = Key()
    reason = Text(max_length=services.REASON_MAX)


class TrustSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField(source="user.get_username")
    action = serializers.CharField()
    reason = serializers.CharField()
    by = serializers.SerializerMethodField()
    at = When()

    def get_by(self, record: TrustGrant) -> str | None:
        return record.by.get_username() if record.by else None


def _trust(request: Request, *, grant: bool) -> TrustGrant:
    actor = actor_from_request(request)
    services.require_trust_granter(actor)  # who before what: a 403 before any 400
    data = validated(TrustRequestSerializer, request)
    if grant:
        return services.trust_grant(actor=actor, **data)
    return services.trust_revoke(actor=actor, **data)


@extend_schema(request=TrustRequestSerializer, responses={201: TrustSerializer})
@api_view(["POST"])
def trust(request: Request) -> Response:
    record = _trust(request, grant=True)
    return Response(TrustSerializer(record).data, status=status.HTTP_201_CREATED)


@extend_schema(request=TrustRequestSerializer, responses={200: TrustSerializer})
@api_view(["POST"])
def trust_revoke(request: Request) -> Response:
    return Response(TrustSerializer(_trust(request, grant=False)).data)
