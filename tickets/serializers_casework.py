"""The casework API's edges, declared (see `tickets.serializers`): one input and one output
serializer per endpoint. Who may call them is the write layer's rule (`tickets.services`)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tickets import permissions, services
from tickets.models import Priority, Ticket
from tickets.serializers import TicketSerializer


class CaseworkTicketSerializer(TicketSerializer):
    """A ticket; staff of its jurisdiction also see `assignee` (a username), `team` (a slug),
    `priority`, `due_at` and `overdue`, which are absent (never even read) for anyone else."""

    assignee = serializers.SerializerMethodField()
    team = serializers.SerializerMethodField()
    priority = serializers.CharField(read_only=True)
    due_at = serializers.DateTimeField(read_only=True, allow_null=True)
    overdue = serializers.SerializerMethodField()

    STAFF_FIELDS = frozenset({"assignee", "team", "priority", "due_at", "overdue"})

    class Meta(TicketSerializer.Meta):
        fields = [
            *TicketSerializer.Meta.fields,
            "assignee",
            "team",
            "priority",
            "due_at",
            "overdue",
        ]
        read_only_fields = fields

    _staff_now = False

    @property
    def _readable_fields(self) -> list[serializers.Field]:
        fields = super()._readable_fields
        if self._staff_now:
            return list(fields)
        return [f for f in fields if f.field_name not in self.STAFF_FIELDS]

    def to_representation(self, instance: Ticket) -> Any:
        user = getattr(self.context.get("request"), "user", None)
        self._staff_now = permissions.can_do_casework(user, instance)
        return super().to_representation(instance)

    @extend_schema_field(OpenApiTypes.STR)
    def get_assignee(self, ticket: Ticket) -> str | None:
        return ticket.assignee.get_username() if ticket.assignee else None

    @extend_schema_field(OpenApiTypes.STR)
    def get_team(self, ticket: Ticket) -> str | None:
        return ticket.team.slug if ticket.team else None

    def get_overdue(self, ticket: Ticket) -> bool:
        return services.is_overdue(ticket)


class AssignSerializer(serializers.Serializer):
    assignee = serializers.CharField(
        max_length=150, required=False, allow_null=True, allow_blank=True, help_text="A username."
    )
    team = serializers.SlugField(
        max_length=80, required=False, allow_null=True, allow_blank=True, help_text="A team's slug."
    )


class NoteSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    ticket = serializers.IntegerField()
    body = serializers.CharField()
    body_html = serializers.CharField()
    author = serializers.CharField()
    created_at = serializers.CharField()


class NoteCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=services.casework.NOTE_BODY_MAX)


class TicketEditSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=services.TITLE_MAX, required=False)
    description = serializers.CharField(
        max_length=services.DESCRIPTION_MAX, required=False, allow_blank=True
    )
    service_code = serializers.CharField(max_length=64, required=False)
    lat = serializers.FloatField(min_value=-90, max_value=90, required=False)
    long = serializers.FloatField(min_value=-180, max_value=180, required=False)
    jurisdiction = serializers.SlugField(
        max_length=80, required=False, help_text="Reroute to this jurisdiction (its slug)."
    )
    priority = serializers.ChoiceField(choices=Priority.values, required=False)
    due_at = serializers.DateTimeField(required=False, allow_null=True)
