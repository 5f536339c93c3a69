"""Sanctions: list, impose, lift."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from moderation import services
from moderation.api._common import Reason, _body, _require_moderator
from moderation.models import Sanction
from realtime.events import iso
from tickets.identity import actor_from_request


class SanctionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    author_key = serializers.CharField()
    identity_kind = serializers.CharField()
    kind = serializers.CharField()
    reason = serializers.CharField()
    starts_at = serializers.CharField()
    ends_at = serializers.CharField(allow_null=True)
    limit_count = serializers.IntegerField(allow_null=True)
    limit_seconds = serializers.IntegerField(allow_null=True)
    follows_address = serializers.BooleanField()
    active = serializers.BooleanField()
    revoked_at = serializers.CharField(allow_null=True)


def sanction_data(sanction: Sanction) -> dict[str, Any]:
    return {
        "id": sanction.pk,
        "author_key": sanction.identity.public_key,
        "identity_kind": sanction.identity.kind,
        "kind": sanction.kind,
        "reason": sanction.reason,
        "starts_at": iso(sanction.starts_at),
        "ends_at": iso(sanction.ends_at) if sanction.ends_at else None,
        "limit_count": sanction.limit_count,
        "limit_seconds": sanction.limit_seconds,
        "follows_address": bool(sanction.ip_hash),
        "active": sanction.is_active(),
        "revoked_at": iso(sanction.revoked_at) if sanction.revoked_at else None,
    }


@extend_schema(
    request=inline_serializer(
        "SanctionRequest",
        {
            "author_key": serializers.CharField(),
            "kind": serializers.ChoiceField(choices=Sanction.Kind.values),
            "minutes": serializers.IntegerField(required=False),
            "reason": serializers.CharField(),
            "limit_count": serializers.IntegerField(required=False),
            "limit_seconds": serializers.IntegerField(required=False),
        },
    ),
    responses={201: SanctionSerializer},
)
@extend_schema(methods=["GET"], responses={200: SanctionSerializer(many=True)})
@api_view(["GET", "POST"])
def sanctions(request: Request) -> Response:
    _require_moderator(request)
    if request.method == "GET":
        rows = Sanction.objects.select_related("identity").order_by("-created_at", "-id")[:200]
        return Response([sanction_data(s) for s in rows])
    data = _body(request)
    sanction = services.sanction_create(
        actor=actor_from_request(request),
        author_key=data.get("author_key"),
        kind=data.get("kind"),
        minutes=data.get("minutes"),
        reason=data.get("reason"),
        limit_count=data.get("limit_count"),
        limit_seconds=data.get("limit_seconds"),
    )
    return Response(sanction_data(sanction), status=status.HTTP_201_CREATED)


@extend_schema(request=Reason, responses={200: SanctionSerializer})
@api_view(["POST"])
def sanction_revoke(request: Request, sanction_id: int) -> Response:
    _require_moderator(request)
    sanction = services.sanction_revoke(
        actor=actor_from_request(request),
        sanction_id=sanction_id,
        reason=_body(request).get("reason"),
    )
    return Response(sanction_data(sanction))
