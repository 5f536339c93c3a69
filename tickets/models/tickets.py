"""Tickets and what is written on them: comments, status changes and the durable event log
(`TicketEvent`, whose per-ticket `seq` the public replay follows)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.models.base import NeverDeleted, NeverDeletedQuerySet
from tickets.models.casework import Priority, Team
from tickets.models.people import Identity
from tickets.models.places import EmergencyEvent, Jurisdiction, ServiceType

if TYPE_CHECKING:  # for annotations only: photos name their ticket, not the reverse
    from tickets.models.photos import Photo


class TicketQuerySet(NeverDeletedQuerySet):
    def public(self) -> TicketQuerySet:
        """What the public may see: every list, map, feed, export and Open311 answer starts
        here (`tickets.selectors.public_tickets`); a taken-down ticket is not in it."""
        return self.filter(visibility=Ticket.Visibility.VISIBLE)


class Ticket(NeverDeleted):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        CLOSED = "closed", _("Closed")

    class Visibility(models.TextChoices):
        VISIBLE = "visible", _("Visible")
        HIDDEN = "hidden", _("Hidden")

    # Narrows NeverDeleted's manager (same class variable, a subclass of its queryset).
    objects = TicketQuerySet.as_manager()  # type: ignore[misc]

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), max_length=5000, blank=True)
    service_type = models.ForeignKey(ServiceType, on_delete=models.PROTECT, related_name="tickets")
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="tickets")
    lat = models.FloatField(_("latitude"))
    long = models.FloatField(_("longitude"))
    address = models.CharField(_("address"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    reporter = models.ForeignKey(Identity, on_delete=models.PROTECT, related_name="tickets")
    anonymous = models.BooleanField(_("reported anonymously"), default=False)
    display_name = models.CharField(_("display name"), max_length=80, blank=True)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    event = models.ForeignKey(
        EmergencyEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    # Private contact details (Open311 POST, receipts); never in a public answer.
    contact_email = models.EmailField(blank=True)
    contact_name = models.CharField(max_length=160, blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    views = models.PositiveIntegerField(default=0)
    followers = models.PositiveIntegerField(default=0)
    votes = models.PositiveIntegerField(default=0)
    thanks = models.PositiveIntegerField(default=0)
    # Last durable event number of this ticket (allocated under a row lock).
    seq = models.PositiveIntegerField(default=0)
    # Casework, for the staff of the jurisdiction only (tickets/services/casework.py).
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    due_at = models.DateTimeField(_("due"), null=True, blank=True, db_index=True)

    # --- Casework: duplicates. Set while merged into another ticket (services/merging.py).
    duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
        verbose_name=_("duplicate of"),
    )
    # --- Takedown: a hidden ticket is kept, shown to its reporter and moderators only
    # (tickets/services/takedown.py).
    visibility = models.CharField(
        _("visibility"),
        max_length=8,
        choices=Visibility.choices,
        default=Visibility.VISIBLE,
        db_index=True,
    )
    moderation_reason = models.CharField(_("moderation reason"), max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["lat", "long"])]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    def get_absolute_url(self) -> str:
        return f"/tickets/{self.pk}/"

    @property
    def emergency_slug(self) -> str | None:
        """The slug of the emergency the ticket belongs to (the wire's `event`)."""
        emergency = self.event
        return emergency.slug if emergency is not None else None

    @property
    def public_reporter(self) -> str:
        if self.anonymous or not self.display_name:
            return str(_("Anonymous"))
        return self.display_name

    @property
    def photo(self) -> Photo | None:
        """The ticket's first photo (Open311 `media_url`); comments' photos are not counted.
        Uses `prefetch_related("photos")` when the caller did."""
        for photo in self.photos.all():
            if photo.comment_id is None:
                return photo
        return None


class Comment(NeverDeleted):
    class Visibility(models.TextChoices):
        VISIBLE = "visible", _("Visible")
        HIDDEN = "hidden", _("Hidden")
        HELD = "held", _("Awaiting review")

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="comments")
    author = models.ForeignKey(Identity, on_delete=models.PROTECT, related_name="comments")
    display_name = models.CharField(max_length=80, blank=True)
    body = models.TextField(_("comment"), max_length=5000)
    official = models.BooleanField(default=False)
    visibility = models.CharField(
        max_length=16, choices=Visibility.choices, default=Visibility.VISIBLE, db_index=True
    )
    # Shadow-banned authors see their own comments; nobody else does.
    shadow = models.BooleanField(default=False)
    moderation_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "visibility", "created_at"])]

    def __str__(self) -> str:
        return f"comment {self.pk} on #{self.ticket_id}"

    @property
    def public_author(self) -> str:
        return self.display_name or str(_("Anonymous"))


class StatusChange(NeverDeleted):
    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="status_changes")
    actor = models.ForeignKey(Identity, on_delete=models.PROTECT, related_name="+")
    actor_name = models.CharField(max_length=160, blank=True)
    from_status = models.CharField(max_length=16, choices=Ticket.Status.choices)
    to_status = models.CharField(max_length=16, choices=Ticket.Status.choices)
    note = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]


class TicketEvent(NeverDeleted):
    """The durable, ordered log of everything people can see happen to a ticket. `data` is
    the envelope's public payload; replay after a reconnect reads from here."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField()
    type = models.CharField(max_length=40)
    at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict)
    # Who caused it (never in `data`, never public): listeners use it, e.g. so nobody is
    # notified of their own comment or status change.
    actor = models.ForeignKey(
        Identity, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["ticket_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "seq"], name="ticketevent_unique_seq")
        ]

    def __str__(self) -> str:
        return f"#{self.ticket_id}/{self.seq} {self.type}"
