"""The audit log: every moderator action writes one immutable AuditEntry and, after commit,
tells the moderation feed (`moderation.action`)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from moderation import feed
from moderation.models import AuditEntry
from tickets.identity import Actor
from tickets.models import Ticket


def _actor_name(actor: Actor | None) -> str:
    if actor is None:
        return _("automatic")
    if actor.account is not None:
        return actor.account.get_username()
    return _("anonymous %(key)s") % {"key": actor.identity().public_key}


def record(
    *,
    actor: Actor | None,
    action: str,
    target_type: str,
    target_id: int | str,
    reason: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    ticket: Ticket | None = None,
    announce: bool = True,
) -> AuditEntry:
    """Write the audit entry and, after commit, the feed's `moderation.action`."""
    entry = AuditEntry.objects.create(
        actor=actor.identity() if actor is not None else None,
        actor_name=_actor_name(actor),
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        ticket_id_ref=ticket.pk if ticket is not None else None,
        jurisdiction_id_ref=ticket.jurisdiction_id if ticket is not None else None,
        reason=reason,
        before=before or {},
        after=after or {},
    )
    if announce:
        feed.send(
            feed.MODERATION_ACTION,
            ticket=ticket.pk if ticket is not None else None,
            data={
                "action": action,
                "target": {"type": target_type, "id": target_id},
                "reason": reason,
                "by": entry.actor_name,
                "audit": entry.pk,
                **feed.scope_of(ticket),
            },
            at=entry.at,
        )
    return entry
