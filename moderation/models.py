"""Moderation data: flags, sanctions, volunteer offers, trust grants and the immutable audit
log. Every write goes through `moderation.services`; comments themselves stay in `tickets`
and change only through `tickets.services.comment_set_visibility`."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from tickets.models import Comment, EmergencyEvent, Identity, Ticket


class Flag(models.Model):
    """One identity's report of one comment, ticket or volunteer offer (exactly one of the
    three). Resolved (never deleted) when a moderator acts."""

    class Reason(models.TextChoices):
        SPAM = "spam", _("Spam")
        ABUSE = "abuse", _("Abuse")
        OFF_TOPIC = "off_topic", _("Off topic")
        PERSONAL_INFO = "personal_info", _("Personal information")
        OTHER = "other", _("Other")

    class Resolution(models.TextChoices):
        OPEN = "", _("Open")
        ACTIONED = "actioned", _("Acted on")
        DISMISSED = "dismissed", _("Dismissed")

    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.PROTECT, related_name="flags"
    )
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.PROTECT, related_name="flags"
    )
    offer = models.ForeignKey(
        "Offer", null=True, blank=True, on_delete=models.PROTECT, related_name="flags"
    )
    identity = models.ForeignKey(Identity, on_delete=models.PROTECT, related_name="flags")
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    details = models.TextField(_("details"), max_length=1000, blank=True)
    weight = models.FloatField(default=1.0)
    # Non-account flaggers sharing one (daily-salted) address count once per comment.
    ip_hash = models.CharField(max_length=64, blank=True)
    resolution = models.CharField(
        max_length=16, choices=Resolution.choices, default=Resolution.OPEN, blank=True
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["comment", "identity"], name="flag_once_per_identity"),
            models.UniqueConstraint(fields=["ticket", "identity"], name="flag_ticket_once"),
            models.UniqueConstraint(fields=["offer", "identity"], name="flag_offer_once"),
            models.CheckConstraint(
                condition=(
                    Q(comment__isnull=False, ticket__isnull=True, offer__isnull=True)
                    | Q(comment__isnull=True, ticket__isnull=False, offer__isnull=True)
                    | Q(comment__isnull=True, ticket__isnull=True, offer__isnull=False)
                ),
                name="flag_exactly_one_target",
            ),
        ]
        verbose_name = _("flag")
        verbose_name_plural = _("flags")

    def __str__(self) -> str:
        target = self.comment_id or self.ticket_id or self.offer_id
        return f"flag {self.reason} on {self.kind} {target}"

    @property
    def kind(self) -> str:
        """What is flagged: "comment", "ticket" or "offer"."""
        if self.comment_id is not None:
            return "comment"
        return "ticket" if self.ticket_id is not None else "offer"


class Sanction(models.Model):
    """A mute, ban, shadow-ban or rate-limit override on an identity. For identities without
    an account it also follows the salted address hash the identity had when sanctioned."""

    class Kind(models.TextChoices):
        MUTE = "mute", _("Mute")
        BAN = "ban", _("Ban")
        SHADOWBAN = "shadowban", _("Shadow-ban")
        RATE_LIMIT = "rate_limit", _("Rate limit")

    identity = models.ForeignKey(Identity, on_delete=models.PROTECT, related_name="sanctions")
    ip_hash = models.CharField(max_length=64, blank=True, db_index=True)
    # The day of the salt `ip_hash` was made with: that salt is kept while this is active.
    ip_salt_day = models.DateField(null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    reason = models.TextField(_("reason"), max_length=1000)
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    # For rate-limit overrides: at most `limit_count` posts per `limit_seconds`.
    limit_count = models.PositiveIntegerField(null=True, blank=True)
    limit_seconds = models.PositiveIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoke_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("sanction")
        verbose_name_plural = _("sanctions")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.identity.public_key}"

    def is_active(self, at: Any = None) -> bool:
        at = at or timezone.now()
        return (
            self.revoked_at is None
            and self.starts_at <= at
            and (self.ends_at is None or at < self.ends_at)
        )


class Offer(models.Model):
    """A neighbour's offer of help on a ticket or an event. `contact` is private: only the
    agents and volunteers handling offers ever see it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        COMPLETED = "completed", _("Completed")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.PROTECT, related_name="offers"
    )
    event = models.ForeignKey(
        EmergencyEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="offers"
    )
    author = models.ForeignKey(Identity, on_delete=models.PROTECT, related_name="offers")
    message = models.TextField(_("message"), max_length=2000)
    skills = models.CharField(_("skills"), max_length=300, blank=True)
    availability = models.CharField(_("availability"), max_length=300, blank=True)
    area = models.CharField(_("area"), max_length=300, blank=True)
    contact = models.CharField(_("contact (private)"), max_length=300)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    # Held by an event's pre-moderation (or a shadow-ban): public only once accepted.
    held = models.BooleanField(default=False)
    # Whether its offer.created event is in the ticket's public log.
    published = models.BooleanField(default=False)
    note = models.TextField(_("reviewer's note"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("volunteer offer")
        verbose_name_plural = _("volunteer offers")

    def __str__(self) -> str:
        where = f"#{self.ticket_id}" if self.ticket_id else f"event {self.event_id}"
        return f"offer {self.pk} on {where} ({self.status})"


class TrustGrant(models.Model):
    """A record of an agent granting or revoking trusted-volunteer status."""

    class Action(models.TextChoices):
        GRANT = "grant", _("Grant")
        REVOKE = "revoke", _("Revoke")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="trust_records"
    )
    action = models.CharField(max_length=8, choices=Action.choices)
    reason = models.TextField(_("reason"), max_length=1000)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("trust grant")
        verbose_name_plural = _("trust grants")

    def __str__(self) -> str:
        return f"{self.action} {self.user}"


class ImmutableQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("Audit entries are immutable")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit entries are immutable")


# Reasons the system gives itself, stored as these codes, untranslated (`moderation.sentences`
# shows none: the sentence says it). Two stay in the catalogue: older entries hold them
# translated in their writer's language.
FLAGGED = "flagged"
OFFERED_HELP = gettext_noop("offered help")
ANNOUNCED = gettext_noop("announced")


class AuditEntry(models.Model):
    """Who did what to which target, why, and the moderated text before and after. Written
    once; no code path updates or deletes an entry."""

    actor = models.ForeignKey(
        Identity, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField(max_length=160, blank=True)
    action = models.CharField(max_length=40, db_index=True)
    target_type = models.CharField(max_length=20)
    target_id = models.CharField(max_length=40)
    ticket_id_ref = models.IntegerField(null=True, blank=True)
    jurisdiction_id_ref = models.IntegerField(null=True, blank=True)
    reason = models.TextField(blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.target_type}:{self.target_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None or not self._state.adding:
            raise PermissionError("Audit entries are immutable")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit entries are immutable")


class Announcement(models.Model):
    """A moderator's message to everyone following an event, pinned on its page and on the
    pages of its tickets. Never deleted; a moderator may hide one."""

    event = models.ForeignKey(
        EmergencyEvent, on_delete=models.PROTECT, related_name="announcements"
    )
    body = models.TextField(_("announcement"), max_length=2000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    author_name = models.CharField(max_length=160, blank=True)
    hidden = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")

    def __str__(self) -> str:
        return f"announcement {self.pk} on {self.event_id}"
