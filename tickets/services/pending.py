"""Photos kept across a report form's error: the page sends them again by token, not by
asking the person to attach them again (the camera shot may be gone by then)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import timedelta

from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import transaction
from django.utils import timezone

from tickets import photos as photo_processing
from tickets.errors import InvalidInput
from tickets.identity import Actor
from tickets.models import PendingPhoto

# A day: long enough to come back to the form, short enough not to hoard people's pictures.
PENDING_MAX_AGE = timedelta(days=1)
_SALT = "fixline.tickets.pending-photos"


def _read(token: str, actor: Actor) -> str | None:
    """The batch named by a signed token, if it is this person's and less than a day old."""
    try:
        value = signing.loads(token, salt=_SALT, max_age=PENDING_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(value, dict) or value.get("k") != actor.key:
        return None
    batch = value.get("t")
    return batch if isinstance(batch, str) else None


def pending_photos(*, actor: Actor, token: str) -> list[UploadedFile]:
    """The photos kept under `token`, as uploads again (empty for an expired, forged or
    someone else's token)."""
    batch = _read(token, actor) if token else None
    if batch is None:
        return []
    since = timezone.now() - PENDING_MAX_AGE
    rows = PendingPhoto.objects.filter(token=batch, created_at__gte=since)
    return [SimpleUploadedFile(row.name, bytes(row.content)) for row in rows]


def pending_keep(
    *, actor: Actor, uploads: Sequence[UploadedFile], token: str = ""
) -> tuple[str, list[str]]:
    """Keep the photos of a form that came back with an error, beside those already kept
    under `token`; returns the (new) signed token and the names kept. Only photos that
    pass the server's checks (count, size, type) are kept: a refused one is not kept, it
    is what the person has to change. Expired batches are deleted here."""
    kept = pending_photos(actor=actor, token=token)
    fresh: list[tuple[str, bytes]] = []
    for upload in uploads:
        if len(kept) + len(fresh) >= photo_processing.max_photos():
            break
        try:
            checked = photo_processing.check(upload)
        except InvalidInput:
            continue
        fresh.append((str(upload.name or "photo")[:200], checked.data))
    names = [str(f.name) for f in kept] + [name for name, _ in fresh]
    if not names:
        return "", []
    batch = _read(token, actor) if kept else None
    now = timezone.now()
    with transaction.atomic():
        PendingPhoto.objects.filter(created_at__lt=now - PENDING_MAX_AGE).delete()
        batch = batch or secrets.token_urlsafe(24)
        PendingPhoto.objects.bulk_create(
            PendingPhoto(token=batch, name=name, content=content, created_at=now)
            for name, content in fresh
        )
    return signing.dumps({"t": batch, "k": actor.key}, salt=_SALT), names


def pending_forget(*, actor: Actor, token: str) -> None:
    """The report was sent with them: the kept copies go."""
    batch = _read(token, actor) if token else None
    if batch is not None:
        PendingPhoto.objects.filter(token=batch).delete()
