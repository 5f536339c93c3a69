"""The REST API's edges, declared: one input and one output serializer per endpoint.

`tickets.api` validates every request with the input serializer, renders every answer with the
output serializer and gives both to `@extend_schema`, so the OpenAPI schema is the code. Request
values become real types here (numbers, booleans, slugs); the rules of the domain (which service
codes exist where, who may do what) stay in `tickets.services`.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from tickets import services
from tickets.errors import InvalidInput
from tickets.models import ServiceType, Ticket

# --- Tickets -------------------------------------------------------------------------------------


class TicketSerializer(serializers.ModelSerializer):
    service_code = serializers.CharField(source="service_type.code")
    service_name = serializers.CharField(source="service_type.name")
    jurisdiction = serializers.CharField(source="jurisdiction.slug")
    event = serializers.SerializerMethodField()
    reporter = serializers.CharField(source="public_reporter")
    url = serializers.SerializerMethodField()
    answers = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            "id", "title", "description", "status", "service_code", "service_name",
            "jurisdiction", "event", "lat", "long", "address", "reporter", "answers",
            "views", "followers", "votes", "thanks", "seq", "created_at", "updated_at",
            "acknowledged_at", "closed_at", "url",
            "duplicate_of",  # casework: the original's id while merged, else null
            "visibility",  # takedown: "hidden" reaches only its reporter and moderators
        ]  # fmt: skip
        read_only_fields = fields

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Codes of the private questions, by service type: one query per type per answer.
        self._private_codes: dict[int, set[str]] = {}

    def get_event(self, ticket: Ticket) -> str | None:
        return ticket.emergency_slug

    def get_url(self, ticket: Ticket) -> str:
        request = self.context.get("request")
        path = ticket.get_absolute_url()
        return request.build_absolute_uri(path) if request else path

    def get_answers(self, ticket: Ticket) -> dict[str, Any]:
        """Answers to custom questions, except the ones the type keeps private."""
        if ticket.service_type_id not in self._private_codes:
            self._private_codes[ticket.service_type_id] = set(
                ticket.service_type.questions.filter(private=True).values_list("code", flat=True)
            )
        hidden = self._private_codes[ticket.service_type_id]
        return {k: v for k, v in (ticket.answers or {}).items() if k not in hidden}


class TicketCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=services.TITLE_MAX)
    description = serializers.CharField(
        max_length=services.DESCRIPTION_MAX, required=False, allow_blank=True
    )
    service_code = serializers.CharField(max_length=64)
    lat = serializers.FloatField(min_value=-90, max_value=90)
    long = serializers.FloatField(min_value=-180, max_value=180)
    address = serializers.CharField(
        max_length=services.ADDRESS_MAX, required=False, allow_blank=True
    )
    event = serializers.SlugField(max_length=80, required=False, allow_null=True, allow_blank=True)
    anonymous = serializers.BooleanField(required=False, default=False)
    display_name = serializers.CharField(
        max_length=services.DISPLAY_NAME_MAX, required=False, allow_blank=True
    )
    answers = serializers.DictField(required=False, child=serializers.JSONField())


class TransitionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=sorted(services.TRANSITIONS))
    note = serializers.CharField(
        max_length=services.NOTE_MAX, required=False, allow_blank=True, default=""
    )


class CountsSerializer(serializers.Serializer):
    followers = serializers.IntegerField()
    votes = serializers.IntegerField()
    thanks = serializers.IntegerField()
    views = serializers.IntegerField()


# --- Comments ------------------------------------------------------------------------------------


# A comment as `tickets.api.comment_for` shows it (moderators also see `visibility` and
# `author_key`; an author sees `visibility` on their own held or hidden comment). Docstrings of
# serializers and their methods become schema descriptions: these notes are comments.
class CommentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    ticket = serializers.IntegerField()
    body = serializers.CharField()
    body_html = serializers.CharField()
    author = serializers.CharField()
    # The author gave no name: `author` is "Anonymous" in the writer's language.
    anonymous = serializers.BooleanField()
    official = serializers.BooleanField()
    created_at = serializers.CharField()
    visibility = serializers.CharField(required=False)
    author_key = serializers.CharField(required=False)


class CommentCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=services.COMMENT_MAX)


# --- The event log -------------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.INT)
class SinceField(serializers.Field):
    """A seq: a whole number from 0 to 2**31, written as `int()` reads it; blank means 0."""

    MESSAGE = "Must be a whole number of 0 or more."

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        if data is empty or data == "":
            return True, 0
        return False, data

    def to_internal_value(self, data: Any) -> int:
        try:
            since = int(data)
        except (TypeError, ValueError):
            raise serializers.ValidationError(self.MESSAGE) from None
        if since < 0 or since > 2**31:
            raise serializers.ValidationError(self.MESSAGE)
        return since

    def to_representation(self, value: int) -> int:
        return value


class EventsQuerySerializer(serializers.Serializer):
    since = SinceField(required=False, help_text="Last seq seen (0 for all).")


# A durable event in the envelope of docs/realtime.md.
class EnvelopeSerializer(serializers.Serializer):
    type = serializers.CharField()
    ticket = serializers.IntegerField()
    seq = serializers.IntegerField()
    at = serializers.CharField()

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # Declared here: a `data` attribute would hide Serializer.data.
        fields["data"] = serializers.DictField()
        return fields


# --- Similar tickets -----------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.FLOAT)
class CoordinateField(serializers.Field):
    """A latitude or longitude from the query string, with the write layer's messages."""

    def __init__(self, *, bound: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.bound = bound

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        return False, None if data is empty else data  # missing: "Must be a number."

    def to_internal_value(self, data: Any) -> float:
        try:
            return services.parse_coordinate(data, field=self.field_name or "", bound=self.bound)
        except InvalidInput as exc:
            raise serializers.ValidationError(exc.message) from None

    def to_representation(self, value: float) -> float:
        return value


@extend_schema_field(OpenApiTypes.STR)
class ServiceCodeField(serializers.Field):
    """The code of a service type (active or not), as the type itself."""

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        return False, "" if data is empty else data  # missing: "Unknown service code."

    def to_internal_value(self, data: Any) -> ServiceType:
        found = ServiceType.objects.filter(code=data).first() if isinstance(data, str) else None
        if found is None:
            raise serializers.ValidationError("Unknown service code.")
        return found

    def to_representation(self, value: ServiceType) -> str:
        return value.code


class SimilarQuerySerializer(serializers.Serializer):
    service_code = ServiceCodeField()
    lat = CoordinateField(bound=90.0)
    long = CoordinateField(bound=180.0)


class SimilarTicketsSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    tickets = TicketSerializer(many=True)


# --- Service types -------------------------------------------------------------------------------


class QuestionSerializer(serializers.Serializer):
    code = serializers.CharField()
    description = serializers.CharField()
    datatype = serializers.CharField()
    values = serializers.ListField(child=serializers.DictField())
    order = serializers.IntegerField()

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # Declared here, in its place: a `required` attribute would hide Field.required.
        ordered: dict[str, serializers.Field] = {}
        for name, field in fields.items():
            if name == "values":
                ordered["required"] = serializers.BooleanField()
            ordered[name] = field
        return ordered


class ServiceTypeSerializer(serializers.ModelSerializer):
    jurisdiction = serializers.CharField(source="jurisdiction.slug")
    questions = QuestionSerializer(many=True)

    class Meta:
        model = ServiceType
        fields = ["code", "name", "description", "group", "keywords", "jurisdiction", "questions"]
