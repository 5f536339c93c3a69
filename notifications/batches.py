"""Batches: a follower's changes of one minute in one message, an agent's day in one digest.
At most one open batch per key (a partial unique constraint); a new batch schedules its own
flush, which `dispatch.flush_batch` sends."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from notifications import jobs
from notifications.models import Batch


def add_to_batch(*, key: str, kind: str, item: int, send_after: datetime, **fields: Any) -> None:
    """Add `item` to the open batch of `key`, opening one (and scheduling its flush at
    `send_after`) when there is none."""
    with transaction.atomic():
        batch = Batch.objects.select_for_update().filter(key=key, status=Batch.Status.OPEN).first()
        if batch is None:
            try:
                with transaction.atomic():
                    batch = Batch.objects.create(
                        key=key, kind=kind, items=[item], send_after=send_after, **fields
                    )
                    jobs.flush_batch(batch.pk, run_after=send_after)
                return
            except IntegrityError:
                batch = Batch.objects.select_for_update().get(key=key, status=Batch.Status.OPEN)
        if item not in batch.items:
            batch.items = [*batch.items, item]
            batch.save(update_fields=["items"])


def add_to_batches(
    *, kind: str, item: int, send_after: datetime, entries: Sequence[tuple[str, dict[str, Any]]]
) -> None:
    """`add_to_batch` for many keys at once (`entries`: key, fields of a new batch): one
    comment on a ticket with a crowd of followers. The open batches, the storm's usual case,
    are read and extended in two statements whatever their number (a row each before); a key
    with no open batch opens one through `add_to_batch`, which schedules its flush."""
    keys = [key for key, _fields in entries]
    with transaction.atomic():
        # Locked in key order: two jobs on the same followers never wait on each other in a
        # cycle.
        open_batches = {
            batch.key: batch
            for batch in Batch.objects.select_for_update()
            .filter(key__in=keys, status=Batch.Status.OPEN)
            .order_by("key")
        }
        extended = [batch for batch in open_batches.values() if item not in batch.items]
        for batch in extended:
            batch.items = [*batch.items, item]
        Batch.objects.bulk_update(extended, ["items"])
    for key, fields in entries:
        if key not in open_batches:
            add_to_batch(key=key, kind=kind, item=item, send_after=send_after, **fields)
