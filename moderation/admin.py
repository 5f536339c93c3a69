"""Admin for moderation: the audit log and flags are read-only (the audit log is immutable);
sanctions are lifted through the service; offers show their contact to staff; trust is granted
or revoked through the service, so every change is audited. Emergency events are edited in
`tickets/admin.py`."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from moderation import services
from moderation.models import AuditEntry, Flag, Offer, Sanction, TrustGrant
from tickets.errors import ServiceError
from tickets.identity import Actor, client_ip


class ViewOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ViewOnly):
    list_display = ["at", "actor_name", "action", "target_type", "target_id", "reason"]
    list_filter = ["action", "target_type"]
    search_fields = ["actor_name", "target_id", "reason"]
    date_hierarchy = "at"


@admin.register(Flag)
class FlagAdmin(ViewOnly):
    list_display = ["comment", "reason", "weight", "resolution", "created_at"]
    list_filter = ["reason", "resolution"]
    exclude = ["ip_hash"]


@admin.register(Sanction)
class SanctionAdmin(ViewOnly):
    list_display = ["identity", "kind", "starts_at", "ends_at", "revoked_at", "created_by"]
    list_filter = ["kind"]
    exclude = ["ip_hash"]
    actions = ["revoke"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and bool(request.user.is_superuser)  # list + actions only

    @admin.action(description=_("Lift the selected sanctions"))
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        actor = Actor(user=request.user, ip=client_ip(request))
        for sanction in queryset:
            try:
                services.sanction_revoke(
                    actor=actor, sanction_id=sanction.pk, reason="lifted in the admin"
                )
            except ServiceError as exc:
                messages.warning(request, f"{sanction}: {exc.message}")


@admin.register(Offer)
class OfferAdmin(ViewOnly):
    list_display = ["pk", "ticket", "event", "status", "held", "skills", "contact", "created_at"]
    list_filter = ["status", "held"]
    search_fields = ["message", "skills", "contact"]


@admin.register(TrustGrant)
class TrustGrantAdmin(admin.ModelAdmin):
    """Adding a record grants (or revokes) trusted-volunteer status through the service."""

    list_display = ["at", "user", "action", "by", "reason"]
    list_filter = ["action"]
    fields = ["user", "action", "reason"]
    autocomplete_fields = ["user"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: TrustGrant, form: Any, change: bool) -> None:
        actor = Actor(user=request.user, ip=client_ip(request))
        grant = obj.action == TrustGrant.Action.GRANT
        try:
            record = (services.trust_grant if grant else services.trust_revoke)(
                actor=actor, username=obj.user.get_username(), reason=obj.reason
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
            return
        obj.pk = record.pk
        obj.by = record.by
        obj.at = record.at
