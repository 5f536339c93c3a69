"""Who acts: identities (an account, an anonymous browser, or a hashed network address) and the
daily salts of those address hashes."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def _new_public_key() -> str:
    return secrets.token_hex(12)


class Identity(models.Model):
    """Who did something: an account, an anonymous browser (signed cookie) or, for API
    callers with neither, a salted hash of their network address. Tickets, comments and
    reactions point here, so moderation works the same on accounts and anonymous people."""

    class Kind(models.TextChoices):
        ACCOUNT = "account", _("Account")
        ANONYMOUS = "anonymous", _("Anonymous browser")
        NETWORK = "network", _("Network address")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    # Internal lookup key: "u:<user id>", "a:<cookie token>" or "n:<daily ip hash>".
    key = models.CharField(max_length=120, unique=True)
    # Opaque and stable: the `author_key` moderators see. Reveals nothing by itself.
    public_key = models.CharField(max_length=32, unique=True, default=_new_public_key)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="fixline_identity",
    )
    last_ip_hash = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("identity")
        verbose_name_plural = _("identities")

    def __str__(self) -> str:
        if self.user_id:
            return f"account {self.user}"
        return f"{self.kind} {self.public_key}"


class IpSalt(models.Model):
    """Today's salt for hashing network addresses; older salts are destroyed each day."""

    day = models.DateField(unique=True)
    salt = models.CharField(max_length=64)
