"""Casework: merging a duplicate into another ticket, and undoing it.

A merge closes the duplicate (status `closed`, so clients that know three statuses keep
working; `duplicate_of` says why), moves its followers and votes to the original (a person
counts once) and records what moved in a `MergeRecord`, so that unmerge gives back exactly
that. Both tickets are locked in id order (the same order for every merge and unmerge, so two
of them never deadlock); each change is written with its durable events in one transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from realtime import counters, events
from tickets import permissions
from tickets.errors import Conflict, InvalidInput, NotAllowed, NotFound
from tickets.identity import Actor
from tickets.models import Follow, Identity, MergeRecord, Reaction, StatusChange, Ticket, Vote
from tickets.services.eventlog import _append_event, _lock_ticket
from tickets.services.validation import NOTE_MAX, clean_text

# Reactions that move with a merge (thanks stay: they thank the work done on that ticket).
_MOVED: tuple[tuple[type[Reaction], str, str, str], ...] = (
    (Follow, "followers", "followers", "followers_added"),
    (Vote, "votes", "voters", "voters_added"),
)


def _lock_pair(first_id: int, second_id: int) -> tuple[Ticket, Ticket]:
    """Lock two tickets, lowest id first, and return them in the order asked. Nothing is
    locked before this, so every merge and unmerge takes its locks in the same order."""
    low, high = sorted((first_id, second_id))
    locked = {low: _lock_ticket(low), high: _lock_ticket(high)}
    return locked[first_id], locked[second_id]


def _staff_ticket(actor: Actor, ticket_id: int, message: str) -> Ticket:
    """The ticket, read without a lock for the permission check (403 before anything else).
    Checked again once locked: a reroute may have moved it meanwhile."""
    try:
        ticket = Ticket.objects.filter(pk=int(ticket_id)).first()
    except (TypeError, ValueError, OverflowError):
        ticket = None
    if ticket is None:
        raise NotFound(_("No such ticket."))
    if not permissions.can_acknowledge_or_close(actor.user, ticket):
        raise NotAllowed(message)
    return ticket


def _parse_into(into: Any) -> int:
    try:
        value = int(into)
    except (TypeError, ValueError, OverflowError):
        raise InvalidInput(
            _("Give the number of the ticket to merge into."), field="into"
        ) from None
    if value < 1 or value > 2**31:
        raise InvalidInput(_("Give the number of the ticket to merge into."), field="into")
    return value


def _add(ticket_id: int, counter: str, delta: int) -> None:
    if delta:
        Ticket.objects.filter(pk=ticket_id).update(
            **{counter: Greatest(F(counter) + delta, Value(0))}
        )


def _counters_changed(*ticket_ids: int) -> None:
    """Followers and votes moved: both pages' counters refresh (coalesced, not durable)."""
    for ticket_id in ticket_ids:
        counters.changed(ticket_id)


def _duplicate_ids(original_id: int) -> list[int]:
    return list(
        Ticket.objects.filter(duplicate_of_id=original_id)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _original_changed(
    original: Ticket, *, duplicate: Ticket, at: datetime, actor: Identity
) -> None:
    """The original's side of a merge or unmerge: its list of duplicates is a public edit, and
    both tickets' counters (followers, votes) changed."""
    _append_event(
        original,
        events.TICKET_UPDATED,
        {"changed": ["duplicates"], "duplicates": _duplicate_ids(original.pk)},
        at=at,
        actor=actor,
    )
    transaction.on_commit(lambda: _counters_changed(duplicate.pk, original.pk))


def _status_data(
    ticket: Ticket, *, previous: str, by: str, official: bool, note: str
) -> dict[str, Any]:
    return {
        "id": ticket.pk,
        "from": previous,
        "to": ticket.status,
        "note": note,
        "by": by,
        "official": official,
        "title": ticket.title,
        "jurisdiction": ticket.jurisdiction.slug,
        "event": ticket.emergency_slug,
    }


def _change_status(
    ticket: Ticket, *, to: str, actor: Actor, identity: Identity, note: str, extra: dict[str, Any]
) -> None:
    """Move the locked ticket to `to`, with its history row and `ticket.status_changed`."""
    previous = ticket.status
    if previous == to:
        return
    now = timezone.now()
    ticket.status = to
    ticket.closed_at = now if to == Ticket.Status.CLOSED else None
    ticket.save(update_fields=["status", "closed_at", "duplicate_of"])
    by = actor.display_name or _("Agent")
    StatusChange.objects.create(
        ticket=ticket,
        actor=identity,
        actor_name=by,
        from_status=previous,
        to_status=to,
        note=note,
        at=now,
    )
    data = _status_data(ticket, previous=previous, by=str(by), official=True, note=note)
    _append_event(ticket, events.TICKET_STATUS_CHANGED, {**data, **extra}, at=now, actor=identity)


def ticket_merge(*, actor: Actor, ticket_id: int, into: Any, note: str = "") -> Ticket:
    """Close `ticket_id` as a duplicate of `into` and move its followers and votes there.
    Staff of the duplicate's jurisdiction only (403 first), and `into` must be a ticket they
    serve too, not the ticket itself, not itself merged (400 naming `into`); a ticket merged
    already, or that others are merged into, is a 409."""
    note = clean_text(note, field="note", max_length=NOTE_MAX, required=False)
    refused = _("Only the jurisdiction's agents can merge this ticket.")
    with transaction.atomic():
        ticket = _staff_ticket(actor, ticket_id, refused)
        into_id = _parse_into(into)
        if into_id == ticket.pk:
            raise InvalidInput(_("A ticket cannot be merged into itself."), field="into")
        if not Ticket.objects.filter(pk=into_id).exists():
            raise InvalidInput(_("There is no ticket #%(id)s.") % {"id": into_id}, field="into")
        ticket, original = _lock_pair(ticket.pk, into_id)
        if not permissions.can_acknowledge_or_close(actor.user, ticket):
            raise NotAllowed(refused)
        if not permissions.can_acknowledge_or_close(actor.user, original):
            raise InvalidInput(
                _("Ticket #%(id)s belongs to a jurisdiction you do not serve.") % {"id": into_id},
                field="into",
            )
        if original.duplicate_of_id is not None:
            raise InvalidInput(
                _("Ticket #%(id)s is itself a duplicate of #%(original)s: merge into that one.")
                % {"id": into_id, "original": original.duplicate_of_id},
                field="into",
            )
        if ticket.duplicate_of_id is not None:
            raise Conflict(
                _("This ticket is already a duplicate of #%(id)s.") % {"id": ticket.duplicate_of_id}
            )
        if Ticket.objects.filter(duplicate_of_id=ticket.pk).exists():
            raise Conflict(_("Other tickets are merged into this one: unmerge them first."))

        identity = actor.identity()
        record = MergeRecord(
            duplicate=ticket,
            original=original,
            status_before=ticket.status,
            closed_at_before=ticket.closed_at,
            note=note,
            merged_by=identity,
        )
        for model, counter, everyone, added in _MOVED:
            manager = model._default_manager
            theirs = set(manager.filter(ticket=ticket).values_list("identity_id", flat=True))
            already = set(
                manager.filter(ticket=original, identity_id__in=theirs).values_list(
                    "identity_id", flat=True
                )
            )
            moving = theirs - already
            # Move the rows (they keep their date); drop the ones the original already has.
            manager.filter(ticket=ticket, identity_id__in=moving).update(ticket=original)
            manager.filter(ticket=ticket).delete()
            _add(ticket.pk, counter, -len(theirs))
            _add(original.pk, counter, len(moving))
            setattr(record, everyone, sorted(theirs))
            setattr(record, added, sorted(moving))
        record.save()

        shown = _("Duplicate of #%(id)s") % {"id": original.pk}
        shown_note = f"{shown}. {note}" if note else shown
        previous = ticket.status
        ticket.duplicate_of = original
        if ticket.status != Ticket.Status.CLOSED:
            _change_status(
                ticket,
                to=Ticket.Status.CLOSED,
                actor=actor,
                identity=identity,
                note=shown_note,
                extra={"reason": "duplicate", "duplicate_of": original.pk},
            )
        else:
            ticket.save(update_fields=["duplicate_of"])
        now = timezone.now()
        _append_event(
            ticket,
            events.TICKET_MERGED,
            {
                "into": original.pk,
                "into_title": original.title,
                "into_url": original.get_absolute_url(),
                "status": ticket.status,
                "previous_status": previous,
                "reason": "duplicate",
                "note": note,
                "by": str(actor.display_name or _("Agent")),
            },
            at=now,
            actor=identity,
        )
        _original_changed(original, duplicate=ticket, at=now, actor=identity)
    ticket.refresh_from_db()
    return ticket


def ticket_unmerge(*, actor: Actor, ticket_id: int, note: str = "") -> Ticket:
    """Undo the merge of `ticket_id`: it is no longer a duplicate, its status before the merge
    comes back (unless someone reopened it since), and the follows and votes the merge moved go
    back; people who were on the original before the merge stay there. 403 first, then 409
    when the ticket is not merged."""
    note = clean_text(note, field="note", max_length=NOTE_MAX, required=False)
    refused = _("Only the jurisdiction's agents can unmerge this ticket.")
    with transaction.atomic():
        ticket = _staff_ticket(actor, ticket_id, refused)
        if ticket.duplicate_of_id is None:
            raise Conflict(_("This ticket is not merged into another one."))
        ticket, original = _lock_pair(ticket.pk, ticket.duplicate_of_id)
        if not permissions.can_acknowledge_or_close(actor.user, ticket):
            raise NotAllowed(refused)
        if ticket.duplicate_of_id != original.pk:  # changed while we waited for the locks
            raise Conflict(_("This ticket changed meanwhile: reload and try again."))
        record = MergeRecord.objects.filter(duplicate=ticket, unmerged_at__isnull=True).first()
        identity = actor.identity()
        for model, counter, everyone, added in _MOVED:
            manager = model._default_manager
            back = list(getattr(record, added)) if record else []
            returned = manager.filter(ticket=original, identity_id__in=back)
            moved_back = set(returned.values_list("identity_id", flat=True))
            returned.update(ticket=ticket)
            _add(original.pk, counter, -len(moved_back))
            wanted = set(getattr(record, everyone)) if record else set()
            present = set(manager.filter(ticket=ticket).values_list("identity_id", flat=True))
            missing = wanted - present - moved_back
            manager.bulk_create([model(ticket=ticket, identity_id=i) for i in sorted(missing)])
            _add(ticket.pk, counter, len(moved_back) + len(missing))

        now = timezone.now()
        if record is not None:
            record.unmerged_by = identity
            record.unmerged_at = now
            record.save(update_fields=["unmerged_by", "unmerged_at"])
        ticket.duplicate_of = None
        restore = record.status_before if record else Ticket.Status.OPEN
        shown = _("No longer a duplicate of #%(id)s") % {"id": original.pk}
        if ticket.status == Ticket.Status.CLOSED and restore != Ticket.Status.CLOSED:
            _change_status(
                ticket,
                to=restore,
                actor=actor,
                identity=identity,
                note=f"{shown}. {note}" if note else shown,
                extra={"reason": "unmerged", "duplicate_of": None},
            )
        else:
            ticket.save(update_fields=["duplicate_of"])
        if ticket.status == Ticket.Status.CLOSED and record and record.closed_at_before:
            Ticket.objects.filter(pk=ticket.pk).update(closed_at=record.closed_at_before)
        _append_event(
            ticket,
            events.TICKET_UNMERGED,
            {
                "original": original.pk,
                "status": ticket.status,
                "note": note,
                "by": str(actor.display_name or _("Agent")),
            },
            at=now,
            actor=identity,
        )
        _original_changed(original, duplicate=ticket, at=now, actor=identity)
    ticket.refresh_from_db()
    return ticket
