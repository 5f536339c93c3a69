"""The admin: configuration (jurisdictions, types and their questions, events, Open311 clients)
is edited here; tickets and their history are only viewed — they change through
`tickets.services`, and civic history is never deleted."""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tickets import services
from tickets.errors import ServiceError
from tickets.models import (
    Comment,
    EmergencyEvent,
    Identity,
    Integration,
    Jurisdiction,
    ServiceQuestion,
    ServiceType,
    StatusChange,
    Team,
    Ticket,
    TicketEvent,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """View only: no add, no change, no delete (so no "delete selected" action either)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Jurisdiction)
class JurisdictionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "kind", "parent", "team_name", "contact_email"]
    list_filter = ["kind"]
    search_fields = ["name", "slug", "team_name"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["agents"]
    autocomplete_fields = ["parent"]

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if isinstance(db_field, models.URLField):
            kwargs["assume_scheme"] = "https"
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class ServiceQuestionInline(admin.TabularInline):
    model = ServiceQuestion
    extra = 0
    fields = ["order", "code", "description", "datatype", "required", "private", "values"]


@admin.register(ServiceType)
class ServiceTypeAdmin(admin.ModelAdmin):
    # Casework defaults (priority, due within N hours) are edited on the type's page too.
    list_display = [
        "name", "name_fr", "code", "group", "jurisdiction", "default_priority", "default_due_hours",
        "active",
    ]  # fmt: skip
    list_filter = ["active", "group", "jurisdiction"]
    list_editable = ["active"]
    search_fields = ["name", "name_fr", "code", "keywords"]
    prepopulated_fields = {"code": ["name"]}
    inlines = [ServiceQuestionInline]


@admin.register(EmergencyEvent)
class EmergencyEventAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "starts_at", "ends_at", "premoderate_anonymous"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ["id", "title", "status", "service_type", "jurisdiction", "created_at", "votes"]
    list_filter = ["status", "jurisdiction", "service_type", "event", "anonymous"]
    search_fields = ["title", "description", "address"]
    date_hierarchy = "created_at"
    list_select_related = ["service_type", "jurisdiction"]
    show_full_result_count = False


@admin.action(description=_("Hide the selected comments"))
def hide_comments(modeladmin: Any, request: HttpRequest, queryset: Any) -> None:
    _set_visibility(request, queryset, Comment.Visibility.HIDDEN)


@admin.action(description=_("Show (approve or restore) the selected comments"))
def show_comments(modeladmin: Any, request: HttpRequest, queryset: Any) -> None:
    _set_visibility(request, queryset, Comment.Visibility.VISIBLE)


def _set_visibility(request: HttpRequest, queryset: Any, visibility: str) -> None:
    done = 0
    for comment_id in queryset.values_list("pk", flat=True):
        try:
            services.comment_set_visibility(
                comment_id=comment_id,
                visibility=visibility,
                reason=gettext("Changed in the admin by %(user)s") % {"user": request.user},
                clear_shadow=visibility == Comment.Visibility.VISIBLE,
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            done += 1
    messages.success(request, gettext("%(n)s comment(s) updated.") % {"n": done})


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    """Comments change visibility through the write layer (the actions), so the change
    reaches open pages live; their text is never edited."""

    list_display = [
        "id",
        "ticket",
        "public_author",
        "official",
        "visibility",
        "shadow",
        "created_at",
    ]
    list_filter = ["visibility", "official", "shadow"]
    search_fields = ["body", "display_name"]
    list_select_related = ["ticket"]
    actions = [hide_comments, show_comments]
    readonly_fields = [
        "ticket",
        "author",
        "display_name",
        "body",
        "official",
        "visibility",
        "shadow",
        "moderation_reason",
        "created_at",
        "updated_at",
    ]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "seq", "type", "at"]
    list_filter = ["type"]
    search_fields = ["ticket__id", "type"]
    show_full_result_count = False


@admin.register(StatusChange)
class StatusChangeAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "from_status", "to_status", "actor_name", "at"]
    list_filter = ["to_status"]
    search_fields = ["ticket__id", "actor_name", "note"]


@admin.register(Identity)
class IdentityAdmin(ReadOnlyAdmin):
    # `key` holds the anonymous cookie token: never shown.
    list_display = ["public_key", "kind", "user", "created_at", "last_seen_at"]
    list_filter = ["kind"]
    search_fields = ["public_key", "user__username"]
    fields = ["public_key", "kind", "user", "created_at", "last_seen_at"]


class IntegrationForm(forms.ModelForm):
    class Meta:
        model = Integration
        fields = ["name", "active"]


def _issue_key(request: HttpRequest, integration: Integration) -> None:
    raw = "fx_" + secrets.token_urlsafe(24)
    integration.key_hash = Integration.hash_key(raw)
    integration.key_hint = raw[:7]
    integration.save()
    messages.warning(
        request,
        gettext(
            "New API key for “%(name)s”: %(key)s — copy it now, it is shown only once "
            "(only its hash is stored)."
        )
        % {"name": integration.name, "key": raw},
    )


@admin.action(description=_("Generate a new API key (the old one stops working)"))
def rotate_keys(modeladmin: Any, request: HttpRequest, queryset: Any) -> None:
    for integration in queryset:
        _issue_key(request, integration)


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    form = IntegrationForm
    list_display = ["name", "active", "key_hint", "created_at"]
    list_filter = ["active"]
    readonly_fields = ["key_hint", "created_at"]
    actions = [rotate_keys]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("name", "active") if obj is None else ("name", "active", "key_hint", "created_at")

    def save_model(self, request: HttpRequest, obj: Integration, form: Any, change: bool) -> None:
        if not change or not obj.key_hash:
            _issue_key(request, obj)
        else:
            super().save_model(request, obj, form, change)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    """Casework teams of a jurisdiction; tickets are assigned to them on the ticket page."""

    list_display = ["name", "slug", "jurisdiction"]
    list_filter = ["jurisdiction"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["members"]
