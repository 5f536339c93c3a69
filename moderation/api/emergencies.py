"""Emergencies (`EmergencyEvent`) in the API: `/api/v1/events/` (the wire says "event"):
declare, read, edit (`PATCH`), end, and their announcements."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from moderation import selectors, services
from moderation.api._common import ModerationReasonSerializer, validated
from moderation.api.fields import Moment, Slug, Switch, Text, When, WholeNumber, _Input
from moderation.models import Announcement
from moderation.services.announcements import BODY_MAX
from tickets.errors import InvalidInput, NotFound
from tickets.identity import actor_from_request
from tickets.models import EmergencyEvent


@extend_schema_field(OpenApiTypes.OBJECT)
class EventArea(_Input):
    """A drawn area: GeoJSON Polygon/MultiPolygon, closed rings of 4+ points, not crossing
    themselves (`services.parse_event_area`); null for none."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("default", None)
        super().__init__(**kwargs)

    def parse(self, data: Any) -> Any:
        try:
            return services.parse_event_area(data)
        except InvalidInput as exc:
            raise InvalidInput(exc.message) from None


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
    area = EventArea()
    jurisdiction = Text(max_length=80, blank=True)
    reason = Text(max_length=services.REASON_MAX, blank=True)


@extend_schema_serializer(component_name="EventPatchRequest")
class EmergencyPatchSerializer(serializers.Serializer):
    """Every field optional: only those sent change (the slug never does)."""

    name = Text(max_length=200, required=False)
    description = Text(max_length=5000, blank=True)
    starts_at = Moment(required=False)
    ends_at = Moment(required=False, default=None)
    premoderate_anonymous = Switch()
    slow_mode_seconds = WholeNumber(
        message=gettext_lazy("Between 0 and 86400 seconds."), low=0, high=86400, default=0
    )
    anonymous_comment_limit = WholeNumber(
        message=gettext_lazy("Between 0 and 1000 per minute."), low=0, high=1000
    )
    area = EventArea()
    jurisdiction = Text(max_length=80, blank=True)
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
    jurisdiction = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    tickets = serializers.IntegerField(source="tickets.count")

    def get_jurisdiction(self, emergency: EmergencyEvent) -> str | None:
        return emergency.jurisdiction.slug if emergency.jurisdiction else None

    def get_url(self, emergency: EmergencyEvent) -> str:
        return f"/events/{emergency.slug}/"


@extend_schema_serializer(component_name="AnnouncementRequest")
class AnnouncementRequestSerializer(serializers.Serializer):
    body = Text(max_length=BODY_MAX)


@extend_schema_serializer(component_name="Announcement")
class AnnouncementSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    event = serializers.CharField(source="event.slug")
    body = serializers.CharField()
    author = serializers.CharField(source="author_name")
    created_at = When()


@extend_schema(
    methods=["POST"], request=EmergencyRequestSerializer, responses={201: EmergencySerializer}
)
@extend_schema(
    methods=["GET"], responses={200: EmergencySerializer(many=True)}, operation_id="events_list"
)
@api_view(["GET", "POST"])
def emergency_list(request: Request) -> Response:
    if request.method == "GET":
        emergencies = EmergencyEvent.objects.select_related("jurisdiction").order_by("-starts_at")
        return Response(EmergencySerializer(emergencies, many=True).data)
    actor = actor_from_request(request)
    services.require_emergency_declarer(actor)  # who before what: a 403 before any 400
    data = validated(EmergencyRequestSerializer, request)
    emergency = services.emergency_create(actor=actor, **data)
    return Response(EmergencySerializer(emergency).data, status=status.HTTP_201_CREATED)


def _emergency(slug: str) -> EmergencyEvent:
    emergency = EmergencyEvent.objects.select_related("jurisdiction").filter(slug=slug).first()
    if emergency is None:
        raise NotFound("No such event.")
    return emergency


@extend_schema(
    methods=["PATCH"], request=EmergencyPatchSerializer, responses={200: EmergencySerializer}
)
@extend_schema(methods=["GET"], responses={200: EmergencySerializer}, operation_id="events_detail")
@api_view(["GET", "PATCH"])
def emergency_detail(request: Request, slug: str) -> Response:
    emergency = _emergency(slug)
    if request.method == "GET":
        return Response(EmergencySerializer(emergency).data)
    actor = actor_from_request(request)
    services.require_emergency_declarer(actor)
    data = validated(EmergencyPatchSerializer, request)
    sent = {key: value for key, value in data.items() if key in request.data}
    emergency = services.emergency_update(actor=actor, slug=slug, **sent)
    return Response(EmergencySerializer(emergency).data)


@extend_schema(request=ModerationReasonSerializer, responses={200: EmergencySerializer})
@api_view(["POST"])
def emergency_end(request: Request, slug: str) -> Response:
    """End the event now; 409 when it has already ended. `reason` is optional here."""
    _emergency(slug)
    actor = actor_from_request(request)
    services.require_emergency_declarer(actor)
    reason = request.data.get("reason", "") if isinstance(request.data, dict) else ""
    emergency = services.emergency_end(actor=actor, slug=slug, reason=str(reason)[:1000])
    return Response(EmergencySerializer(emergency).data)


@extend_schema(
    methods=["POST"],
    request=AnnouncementRequestSerializer,
    responses={201: AnnouncementSerializer},
)
@extend_schema(
    methods=["GET"],
    responses={200: AnnouncementSerializer(many=True)},
    operation_id="events_announcements_list",
)
@api_view(["GET", "POST"])
def announcements(request: Request, slug: str) -> Response:
    """Newest first; hidden ones are left out."""
    emergency = _emergency(slug)
    if request.method == "GET":
        return Response(AnnouncementSerializer(selectors.announcements(emergency), many=True).data)
    actor = actor_from_request(request)
    services.require_announcer(actor=actor, event=slug)
    data = validated(AnnouncementRequestSerializer, request)
    announcement = services.announcement_create(actor=actor, event=slug, **data)
    return Response(AnnouncementSerializer(announcement).data, status=status.HTTP_201_CREATED)


@extend_schema(request=ModerationReasonSerializer, responses={200: AnnouncementSerializer})
@api_view(["POST"])
def announcement_hide(request: Request, announcement_id: int) -> Response:
    """Take an announcement off every page (it stays in the audit log)."""
    actor = actor_from_request(request)
    found = Announcement.objects.select_related("event").filter(pk=announcement_id).first()
    if found is None:
        raise NotFound("No such announcement.")
    services.require_announcer(actor=actor, event=found.event.slug)  # a 403 before a 400
    data = validated(ModerationReasonSerializer, request)
    announcement = services.announcement_set_hidden(
        actor=actor, announcement_id=announcement_id, hidden=True, reason=data["reason"]
    )
    return Response(AnnouncementSerializer(announcement).data)
