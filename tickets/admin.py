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
from tickets.identity import Actor, client_ip
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
    fields = [
        "order", "code", "description", "description_fr", "datatype", "required", "private",
        "values",
    ]  # fmt: skip


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


class VisibilityChangeForm(forms.ModelForm):
    """A visibility chosen on an admin change form, with why: the audited service needs a
    reason (the comment admin in moderation uses it too)."""

    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required to change the visibility; kept in the audit log."),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "visibility" in self.changed_data and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", gettext("Say why the visibility changes."))
        return cleaned


class TicketVisibilityForm(VisibilityChangeForm):
    """The one thing the admin changes on a ticket: its visibility (a takedown), with why."""

    class Meta:
        model = Ticket
        fields = ["visibility"]


def _admin_actor(request: HttpRequest) -> Actor:
    return Actor(user=request.user, ip=client_ip(request))


def _set_ticket_visibility(request: HttpRequest, queryset: Any, visibility: str) -> None:
    done = 0
    for ticket_id in queryset.values_list("pk", flat=True):
        try:
            services.ticket_set_visibility(
                actor=_admin_actor(request),
                ticket_id=ticket_id,
                visibility=visibility,
                reason=gettext("Changed in the admin by %(user)s") % {"user": request.user},
            )
        except ServiceError as exc:
            messages.error(request, f"#{ticket_id}: {exc.message}")
        else:
            done += 1
    messages.success(request, gettext("%(n)s ticket(s) updated.") % {"n": done})


@admin.action(description=_("Take down (hide) the selected tickets"))
def hide_tickets(modeladmin: Any, request: HttpRequest, queryset: Any) -> None:
    _set_ticket_visibility(request, queryset, Ticket.Visibility.HIDDEN)


@admin.action(description=_("Restore the selected tickets"))
def restore_tickets(modeladmin: Any, request: HttpRequest, queryset: Any) -> None:
    _set_ticket_visibility(request, queryset, Ticket.Visibility.VISIBLE)


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    """Viewed only, except its visibility, which changes through the write layer (so the
    takedown is audited, logged as `ticket.hidden`/`ticket.restored` and reaches open pages)."""

    list_display = [
        "id", "title", "status", "visibility", "service_type", "jurisdiction", "created_at",
        "votes",
    ]  # fmt: skip
    list_filter = ["status", "visibility", "jurisdiction", "service_type", "event", "anonymous"]
    search_fields = ["title", "description", "address"]
    date_hierarchy = "created_at"
    list_select_related = ["service_type", "jurisdiction"]
    show_full_result_count = False
    form = TicketVisibilityForm
    actions = [hide_tickets, restore_tickets]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in Ticket._meta.fields if f.name != "visibility"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The admin's own permission (admins), and the service's rule for this ticket.
        allowed = admin.ModelAdmin.has_change_permission(self, request, obj)
        return allowed and (obj is None or services.can_take_down(request.user, obj))

    def save_model(self, request: HttpRequest, obj: Ticket, form: Any, change: bool) -> None:
        if "visibility" not in form.changed_data:
            return  # nothing else is edited here
        try:
            services.ticket_set_visibility(
                actor=_admin_actor(request),
                ticket_id=obj.pk,
                visibility=obj.visibility,
                reason=form.cleaned_data["reason"],
            )
        except ServiceError as exc:
            messages.error(request, exc.message)


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    """Read-only here; their text is never edited. Moderation's admin adds the visibility
    actions and form, through its audited service (`moderation/admin.py`)."""

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
