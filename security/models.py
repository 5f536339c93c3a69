"""What the security layer remembers: the answers of writes sent with an `Idempotency-Key`
(security/idempotency.py), for 24 hours."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class IdempotentRequest(models.Model):
    """One write sent with an `Idempotency-Key`, by one identity. Only digests identify it
    (no key, cookie, token or address is stored in clear); the answer is kept so that a retry
    gets it again. A row `in_progress` is the claim of the request being run now."""

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress"
        DONE = "done"

    # sha256 of (identity scope, key): unique, so two racing requests cannot both claim it.
    lookup = models.CharField(max_length=64, unique=True)
    # sha256 of the method, path and body: the same key with another request is refused.
    fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=12, choices=State.choices, default=State.IN_PROGRESS)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=200, blank=True)
    location = models.CharField(max_length=2000, blank=True)
    body = models.BinaryField(blank=True, default=b"")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "idempotent request"
