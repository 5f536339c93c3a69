"""One follow, vote ("me too") or thanks per identity and ticket."""

from __future__ import annotations

from django.db import models

from tickets.models.people import Identity
from tickets.models.tickets import Ticket


class Reaction(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="%(class)s_set")
    identity = models.ForeignKey(Identity, on_delete=models.PROTECT, related_name="%(class)s_set")
    created_at = models.DateTimeField(auto_now_add=True)
    # Reactions without an account from one (daily-salted) address count once per ticket.
    ip_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "identity"], name="%(class)s_once_per_identity"
            )
        ]


class Follow(Reaction):
    pass


class Vote(Reaction):
    pass


class Thanks(Reaction):
    pass
