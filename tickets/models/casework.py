"""Casework models: teams, staff-only notes and the staff-only log (assignment, notes,
priority and due dates). Kept out of `TicketEvent` on purpose: the public durable log's `seq`
must stay gap-free for the public, and nothing here is ever public.

Relations name the ticket models by string: `tickets.models` imports this module."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Team(models.Model):
    """A team of agents of a jurisdiction (e.g. "Forestry"); tickets can be assigned to it."""

    jurisdiction = models.ForeignKey(
        "tickets.Jurisdiction", on_delete=models.PROTECT, related_name="teams"
    )
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="fixline_teams",
        verbose_name=_("members"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class CaseworkNote(models.Model):
    """An internal note: staff of the ticket's jurisdiction only, never public."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_name = models.CharField(max_length=160)
    body = models.TextField(max_length=5000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"note {self.pk} on #{self.ticket_id}"


class CaseworkEvent(models.Model):
    """The staff-only log of a ticket (`ticket.assigned`, `note.created`,
    `ticket.priority_changed`, `ticket.rerouted`): written with its change, no public seq."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.PROTECT, related_name="casework_events"
    )
    type = models.CharField(max_length=40)
    data = models.JSONField(default=dict)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["ticket_id", "at", "id"]

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.type}"
