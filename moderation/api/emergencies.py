"""Emergency events (`/api/v1/events/`)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from moderation import services
from moderation.api._common import _body
from realtime.events import iso
from tickets.errors import NotFound
from tickets.identity import actor_from_request
from tickets.models import EmergencyEvent


class EventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    starts_at = serializers.CharField()
    ends_at = serializers.CharField(allow_null=True)
    active = serializers.BooleanField()
    premoderate_anonymous = serializers.BooleanField()
    slow_mode_seconds = serializers.IntegerField()
    anonymous_comment_limit = serializers.IntegerField(allow_null=True)
    area = serializers.JSONField(allow_null=True)
    url = serializers.CharField()
    tickets = serializers.IntegerField()


def emergency_data(emergency: EmergencyEvent) -> dict[str, Any]:
    return {
        "id": emergency.pk,
        "name": emergency.name,
        "slug": emergency.slug,
        "description": emergency.description,
        "starts_at": iso(emergency.starts_at),
        "ends_at": iso(emergency.ends_at) if emergency.ends_at else None,
        "active": emergency.is_active(),
        "premoderate_anonymous": emergency.premoderate_anonymous,
        "slow_mode_seconds": emergency.slow_mode_seconds,
        "anonymous_comment_limit": emergency.anonymous_comment_limit,
        "area": emergency.area,
        "url": f"/events/{emergency.slug}/",
        "tickets": emergency.tickets.count(),
    }


@extend_schema(
    request=inline_serializer(
        "EventRequest",
        {
            "name": serializers.CharField(),
            "slug": serializers.SlugField(),
            "starts_at": serializers.DateTimeField(),
            "ends_at": serializers.DateTimeField(required=False),
            "premoderate_anonymous": serializers.BooleanField(required=False),
            "slow_mode_seconds": serializers.IntegerField(required=False),
            "anonymous_comment_limit": serializers.IntegerField(required=False),
            "area": serializers.JSONField(required=False),
        },
    ),
    responses={201: EventSerializer},
)
@extend_schema(
    methods=["GET"], responses={200: EventSerializer(many=True)}, operation_id="events_list"
)
@api_view(["GET", "POST"])
def emergency_list(request: Request) -> Response:
    if request.method == "GET":
        return Response([emergency_data(e) for e in EmergencyEvent.objects.order_by("-starts_at")])
    data = _body(request)
    for flag_name in ("premoderate_anonymous",):
        value = data.get(flag_name, False)
        if not isinstance(value, bool):
            if value in ("true", "1", "on"):
                value = True
            elif value in ("false", "0", "", None):
                value = False
            else:
                raise ValidationError({flag_name: ["Must be true or false."]})
        data[flag_name] = value
    emergency = services.emergency_create(
        actor=actor_from_request(request),
        name=data.get("name"),
        slug=data.get("slug"),
        description=data.get("description", ""),
        starts_at=data.get("starts_at"),
        ends_at=data.get("ends_at"),
        premoderate_anonymous=data["premoderate_anonymous"],
        slow_mode_seconds=data.get("slow_mode_seconds", 0),
        anonymous_comment_limit=data.get("anonymous_comment_limit"),
        area=data.get("area"),
        reason=data.get("reason", ""),
    )
    return Response(emergency_data(emergency), status=status.HTTP_201_CREATED)


@extend_schema(responses={200: EventSerializer}, operation_id="events_detail")
@api_view(["GET"])
def emergency_detail(request: Request, slug: str) -> Response:
    emergency = EmergencyEvent.objects.filter(slug=slug).first()
    if emergency is None:
        raise NotFound("No such event.")
    return Response(emergency_data(emergency))
