"""Admin for moderation: the audit log and flags are read-only (the audit log is immutable);
sanctions are lifted through the service; offers show their contact to staff; trust is granted
or revoked through the service, so every change is audited; so are comments hidden, restored
or approved here (`AuditedCommentAdmin`; tickets' takedowns are audited by their service's
listener); emergency events are declared and edited through the event service
(`AuditedEventAdmin`): validated, audited and announced exactly as on the console."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from moderation import permissions, services
from moderation.models import AuditEntry, Flag, Offer, Sanction, TrustGrant
from tickets.admin import CommentAdmin, EmergencyEventAdmin, VisibilityChangeForm
from tickets.errors import ServiceError
from tickets.identity import Actor, client_ip
from tickets.models import Comment, EmergencyEvent


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


# --- Comments: every visibility change in the admin goes through the audited service --------


def _moderate(request: HttpRequest, comment_id: int, action: str, reason: str) -> bool:
    try:
        services.comment_moderate(
            actor=Actor(user=request.user, ip=client_ip(request)),
            comment_id=comment_id,
            action=action,
            reason=reason,
        )
    except ServiceError as exc:
        messages.error(request, f"#{comment_id}: {exc.message}")
        return False
    return True


def _moderate_selected(request: HttpRequest, queryset: Any, action: str) -> None:
    reason = gettext("Changed in the admin by %(user)s") % {"user": request.user}
    done = sum(
        _moderate(request, pk, action, reason) for pk in queryset.values_list("pk", flat=True)
    )
    messages.success(request, gettext("%(n)s comment(s) updated.") % {"n": done})


@admin.action(description=_("Hide the selected comments"))
def hide_comments(modeladmin: Any, request: HttpRequest, queryset: Any) -> None:
    _moderate_selected(request, queryset, "hide")


@admin.action(description=_("Show (approve or restore) the selected comments"))
def show_comments(modeladmin: Any, request: HttpRequest, queryset: Any) -> None:
    reason = gettext("Changed in the admin by %(user)s") % {"user": request.user}
    done = 0
    for pk, visibility in queryset.values_list("pk", "visibility"):
        action = "approve" if visibility == Comment.Visibility.HELD else "restore"
        done += _moderate(request, pk, action, reason)
    messages.success(request, gettext("%(n)s comment(s) updated.") % {"n": done})


class CommentVisibilityForm(VisibilityChangeForm):
    class Meta:
        model = Comment
        fields = ["visibility"]


# What a visibility chosen on the change form means, from the comment's state before.
_FORM_ACTIONS: dict[tuple[str, str], str] = {
    (Comment.Visibility.HELD, Comment.Visibility.VISIBLE): "approve",
    (Comment.Visibility.HELD, Comment.Visibility.HIDDEN): "reject",
    (Comment.Visibility.HIDDEN, Comment.Visibility.VISIBLE): "restore",
    (Comment.Visibility.VISIBLE, Comment.Visibility.HIDDEN): "hide",
}


admin.site.unregister(Comment)


@admin.register(Comment)
class AuditedCommentAdmin(CommentAdmin):
    """The comment's visibility is edited on its page or by the actions; both call
    `moderation.services.comment_moderate`, so each change is one audit entry, one durable
    event, and reaches open pages live."""

    form = CommentVisibilityForm
    actions = [hide_comments, show_comments]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f for f in CommentAdmin.readonly_fields if f != "visibility"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The admin's own permission (admins), and the service's rule for this comment.
        allowed = super().has_change_permission(request, obj)
        return allowed and (
            obj is None or permissions.can_moderate_ticket(request.user, obj.ticket)
        )

    def save_model(self, request: HttpRequest, obj: Comment, form: Any, change: bool) -> None:
        if "visibility" not in form.changed_data:
            return  # the text and the rest are never edited
        before = form.initial.get("visibility")
        action = _FORM_ACTIONS.get((before, obj.visibility))
        if action is None:
            messages.error(request, gettext("This change of visibility is not possible."))
            return
        _moderate(request, obj.pk, action, form.cleaned_data["reason"])


# --- Emergency events: declared and edited through the event service -------------------------

EVENT_FIELDS = [
    "name",
    "description",
    "starts_at",
    "ends_at",
    "jurisdiction",
    "area",
    "premoderate_anonymous",
    "slow_mode_seconds",
    "anonymous_comment_limit",
]


class EventAdminForm(forms.ModelForm):
    """The event's fields, checked by the event service before saving (a wrong area, an end
    before the start… land on their field), and why, for the audit log."""

    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the audit log."),
    )

    class Meta:
        model = EmergencyEvent
        fields = ["slug", *EVENT_FIELDS]

    def __init__(self, *args: Any, actor: Actor | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.actor is None or any(f in self.errors for f in ("starts_at", "ends_at")):
            return cleaned
        place = cleaned.get("jurisdiction")
        try:
            services.emergency_check(
                actor=self.actor,
                starts_at=cleaned["starts_at"],
                ends_at=cleaned.get("ends_at"),
                slow_mode_seconds=cleaned.get("slow_mode_seconds") or 0,
                anonymous_comment_limit=cleaned.get("anonymous_comment_limit"),
                area=cleaned.get("area"),
                jurisdiction=place.slug if place is not None else None,
            )
        except ServiceError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)
        return cleaned


def _event_arguments(form: EventAdminForm, names: list[str]) -> dict[str, Any]:
    data = {name: form.cleaned_data.get(name) for name in names}
    if "jurisdiction" in data:
        data["jurisdiction"] = data["jurisdiction"].slug if data["jurisdiction"] else None
    data["slow_mode_seconds"] = data.get("slow_mode_seconds") or 0
    return data


admin.site.unregister(EmergencyEvent)


@admin.register(EmergencyEvent)
class AuditedEventAdmin(EmergencyEventAdmin):
    """Adding an event declares it (`emergency_create`), changing one edits it
    (`emergency_update`): each is one audit entry naming the change, seen live on the console.
    Events end (on the console or here, with an end date); they are never deleted."""

    form = EventAdminForm

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form_class = super().get_form(request, obj, change=change, **kwargs)
        actor = Actor(user=request.user, ip=client_ip(request))

        class WithActor(form_class):  # type: ignore[valid-type,misc]
            def __init__(self, *args: Any, **inner: Any) -> None:
                super().__init__(*args, actor=actor, **inner)

        return WithActor

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["slug"] if obj is not None else []  # links and sockets use it: it never changes

    def get_prepopulated_fields(self, request: HttpRequest, obj: Any = None) -> dict[str, Any]:
        return {} if obj is not None else {"slug": ["name"]}

    def has_add_permission(self, request: HttpRequest) -> bool:
        allowed = super().has_add_permission(request)
        return allowed and permissions.can_declare_emergency(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The admin's own permission, and the service's: who may declare, in this place.
        allowed = super().has_change_permission(request, obj)
        return (
            allowed
            and permissions.can_declare_emergency(request.user)
            and (
                obj is None
                or permissions.can_moderate_jurisdiction(request.user, obj.jurisdiction_id)
            )
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        actor = Actor(user=request.user, ip=client_ip(request))
        reason = form.cleaned_data.get("reason") or ""
        try:
            if change:
                changed = [name for name in EVENT_FIELDS if name in form.changed_data]
                if not changed:
                    return
                labels = ", ".join(str(form.fields[name].label) for name in changed)
                saved = services.emergency_update(
                    actor=actor,
                    slug=obj.slug,
                    reason=reason
                    or gettext("Edited in the admin: %(fields)s") % {"fields": labels},
                    **_event_arguments(form, changed),
                )
            else:
                saved = services.emergency_create(
                    actor=actor,
                    slug=form.cleaned_data["slug"],
                    reason=reason or gettext("Declared in the admin"),
                    **_event_arguments(form, EVENT_FIELDS),
                )
        except ServiceError as exc:
            messages.error(request, exc.message)
            return
        obj.pk = saved.pk
