"""The casework API's edges, declared (see `tickets.serializers`): one input and one output
serializer per endpoint. Who may call them is the write layer's rule (`tickets.services`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tickets import permissions, services
from tickets.models import Priority, Ticket
from tickets.serializers import TicketSerializer


class _StaffValue(serializers.Field):
    """A casework value of the ticket (`source="*"`), for staff only. Not read-only, so the
    schema does not list it as always present: the public never gets it."""

    def __init__(self, read: Callable[[Ticket], Any], **kwargs: Any) -> None:
        super().__init__(source="*", required=False, **kwargs)
        self.read = read

    def to_representation(self, value: Ticket) -> Any:
        return self.read(value)

    def to_internal_value(self, data: Any) -> Any:
        raise serializers.ValidationError("Read only.")


def _iso_or_none(moment: datetime | None) -> str | None:
    return serializers.DateTimeField().to_representation(moment) if moment else None


def _staff(read: Callable[[Ticket], Any], schema: serializers.Field) -> _StaffValue:
    """A staff value described in the schema as `schema` describes it."""
    kind = extend_schema_field(schema)(type("StaffValue", (_StaffValue,), {}))
    return kind(read)


class CaseworkTicketSerializer(TicketSerializer):
    """A ticket; staff of its jurisdiction also see `assignee` (a username), `team` (a slug),
    `priority`, `due_at` and `overdue`, which are absent (never even read) for anyone else."""

    assignee = _staff(
        lambda t: t.assignee.get_username() if t.assignee else None,
        serializers.CharField(allow_null=True),
    )
    team = _staff(lambda t: t.team.slug if t.team else None, serializers.CharField(allow_null=True))
    priority = _staff(lambda t: t.priority, serializers.ChoiceField(choices=Priority.values))
    due_at = _staff(lambda t: _iso_or_none(t.due_at), serializers.DateTimeField(allow_null=True))
    overdue = _staff(lambda t: services.is_overdue(t), serializers.BooleanField())

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
