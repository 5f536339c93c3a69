"""Sanctions: list, impose, lift."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from moderation import selectors, services
from moderation.api._common import ModerationReasonSerializer, require_moderator, validated
from moderation.api.fields import Choice, Deferred, Key, Switch, Text, When, WholeNumber
from moderation.models import Sanction
from moderation.services.sanctions import KIND_MESSAGE, RATE_LIMIT_MESSAGE
from tickets.identity import actor_from_request


class SanctionRequestSerializer(serializers.Serializer):
    """`minutes` is required for a mute; `limit_count` and `limit_seconds` (60 by default)
    are read for a `rate_limit` only."""

    author_key = Key()
    kind = Choice(Sanction.Kind.values, message=gettext_lazy(KIND_MESSAGE))
    minutes = WholeNumber(
        message=gettext_lazy("Must be a whole number of minutes."), refuse_bool=True
    )
    reason = Text(max_length=services.REASON_MAX)
    limit_count = Deferred()
    limit_seconds = Deferred()
    cookie_only = Switch()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["kind"] != Sanction.Kind.RATE_LIMIT:
            return {**attrs, "limit_count": None, "limit_seconds": None}
        try:
            count, seconds = attrs["limit_count"], attrs["limit_seconds"]
            attrs["limit_count"] = None if count in (None, "") else int(count)
            attrs["limit_seconds"] = None if seconds in (None, "") else int(seconds)
        except (TypeError, ValueError, OverflowError):
            raise serializers.ValidationError(
                {"limit_count": [gettext_lazy(RATE_LIMIT_MESSAGE)]}
            ) from None
        return attrs


class SanctionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    author_key = serializers.CharField(source="identity.public_key")
    identity_kind = serializers.CharField(source="identity.kind")
    kind = serializers.CharField()
    reason = serializers.CharField()
    starts_at = When()
    ends_at = When(allow_null=True)
    limit_count = serializers.IntegerField(allow_null=True)
    limit_seconds = serializers.IntegerField(allow_null=True)
    follows_address = serializers.SerializerMethodField()
    active = serializers.BooleanField(source="is_active")
    revoked_at = When(allow_null=True)

    def get_follows_address(self, sanction: Sanction) -> bool:
        return bool(sanction.ip_hash)


class CollateralSerializer(serializers.Serializer):
    """Who else a sanction on this identity would catch: `others` identities seen from its
    network address in the last 24 h (0 for an account: accounts never follow an address)."""

    author_key = serializers.CharField()
    identity_kind = serializers.CharField()
    others = serializers.IntegerField()


@extend_schema(
    methods=["POST"], request=SanctionRequestSerializer, responses={201: SanctionSerializer}
)
@extend_schema(methods=["GET"], responses={200: SanctionSerializer(many=True)})
@api_view(["GET", "POST"])
def sanctions(request: Request) -> Response:
    require_moderator(request)
    if request.method == "GET":
        if request.query_params.get("active") in ("1", "true"):
            rows = selectors.active_sanction_list()
        else:
            rows = list(
                Sanction.objects.select_related("identity").order_by("-created_at", "-id")[:200]
            )
        return Response(SanctionSerializer(rows, many=True).data)
    data = validated(SanctionRequestSerializer, request)
    sanction = services.sanction_create(actor=actor_from_request(request), **data)
    return Response(SanctionSerializer(sanction).data, status=status.HTTP_201_CREATED)


@extend_schema(
    parameters=[OpenApiParameter("author_key", str, required=True)],
    responses={200: CollateralSerializer},
)
@api_view(["GET"])
def collateral(request: Request) -> Response:
    """The collateral check before sanctioning an anonymous identity."""
    require_moderator(request)
    key = request.query_params.get("author_key", "")
    identity = selectors.identity_by_key(key)
    if identity is None:
        raise ValidationError({"author_key": [_("No identity has this author key.")]})
    answer = {
        "author_key": identity.public_key,
        "identity_kind": identity.kind,
        "others": selectors.collateral(identity),
    }
    return Response(CollateralSerializer(answer).data)


@extend_schema(request=ModerationReasonSerializer, responses={200: SanctionSerializer})
@api_view(["POST"])
def sanction_revoke(request: Request, sanction_id: int) -> Response:
    require_moderator(request)
    data = validated(ModerationReasonSerializer, request)
    sanction = services.sanction_revoke(
        actor=actor_from_request(request), sanction_id=sanction_id, **data
    )
    return Response(SanctionSerializer(sanction).data)
