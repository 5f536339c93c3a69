"""Emergencies (`EmergencyEvent`) in the API: `/api/v1/events/` (the wire says "event")."""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from moderation import services
from moderation.api._common import validated
from moderation.api.fields import Area, Moment, Slug, Switch, Text, When, WholeNumber
from tickets.errors import NotFound
from tickets.identity import actor_from_request
from tickets.models import EmergencyEvent


@extend_schema_serializer(component_name="EventRequest")
class EmergencyRequestSerializer(serializers.Serializer):
    name = Text(max_length=200)
    slug = Slug(max_length=80)
    description = Text(max_length=5000, blank=True)
    starts_at = Moment()
    ends_at = Moment(required=False, default=None)
    premoderate_anonymous = Switch()
    slow_mode_seconds = WholeNumber(
        message=gettext_lazy("Between 0 and 86400 seconds."), low=0, high=86400, default=0
    )
    anonymous_comment_limit = WholeNumber(
        message=gettext_lazy("Between 0 and 1000 per minute."), low=0, high=1000
    )
    area = Area()
    reason = Text(max_length=services.REASON_MAX, blank=True)


@extend_schema_serializer(component_name="Event")
class EmergencySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    starts_at = When()
    ends_at = When(allow_null=True)
    active = serializers.BooleanField(source="is_active")
    premoderate_anonymous = serializers.BooleanField()
    slow_mode_seconds = serializers.IntegerField()
    anonymous_comment_limit = serializers.IntegerField(allow_null=True)
    area = serializers.JSONField(allow_null=True)
    url = serializers.SerializerMethodField()
    tickets = serializers.IntegerField(source="tickets.count")

    def get_url(self, emergency: EmergencyEvent) -> str:
        return f"/events/{emergency.slug}/"


@extend_schema(
    methods=["POST"], request=EmergencyRequestSerializer, responses={201: EmergencySerializer}
)
@extend_schema(
    methods=["GET"], responses={200: EmergencySerializer(many=True)}, operation_id="events_list"
)
@api_view(["GET", "POST"])
def emergency_list(request: Request) -> Response:
    if request.method == "GET":
        emergencies = EmergencyEvent.objects.order_by("-starts_at")
        return Response(EmergencySerializer(emergencies, many=True).data)
    actor = actor_from_request(request)
    services.require_emergency_declarer(actor)  # who before what: a 403 before any 400
    data = validated(EmergencyRequestSerializer, request)
    emergency = services.emergency_create(actor=actor, **data)
    return Response(EmergencySerializer(emergency).data, status=status.HTTP_201_CREATED)


@extend_schema(responses={200: EmergencySerializer}, operation_id="events_detail")
@api_view(["GET"])
def emergency_detail(request: Request, slug: str) -> Response:
    emergency = EmergencyEvent.objects.filter(slug=slug).first()
    if emergency is None:
        raise NotFound("No such event.")
    return Response(EmergencySerializer(emergency).data)
