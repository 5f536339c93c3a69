"""Who may moderate what. The matrix (tested cell by cell in tests/moderation):

| action                               | anonymous | citizen | trusted volunteer | agent                 | admin |
| ------------------------------------ | --------- | ------- | ----------------- | --------------------- | ----- |
| flag a comment                       | yes       | yes     | yes               | yes                   | yes   |
| hide / restore / approve / reject /  | no        | no      | everywhere        | in its jurisdictions  | yes   |
| dismiss flags, read the queue        |           |         |                   |                       |       |
| review offers (see their contact)    | no        | no      | everywhere        | in its jurisdictions  | yes   |
| sanction an identity                 | no        | no      | yes (not staff)   | yes (not staff)       | yes   |
| declare an emergency event           | no        | no      | no                | yes                   | yes   |
| grant / revoke trusted volunteer     | no        | no      | no                | yes                   | yes   |
| read and export the audit log        | no        | no      | yes               | yes                   | yes   |

An agent's jurisdictions include their descendants (`tickets.permissions`).
"""

from __future__ import annotations

from typing import Any

from tickets import permissions as base
from tickets.models import Identity, Ticket


def is_moderator(user: Any) -> bool:
    return base.is_moderator(user)


def moderates_everywhere(user: Any) -> bool:
    return base.is_admin(user) or base.is_trusted_volunteer(user)


def can_moderate_jurisdiction(user: Any, jurisdiction_id: int | None) -> bool:
    if moderates_everywhere(user):
        return True
    if jurisdiction_id is None:  # an event-wide offer: any agent
        return base.is_agent(user)
    return jurisdiction_id in base.agent_jurisdiction_ids(user)


def can_moderate_ticket(user: Any, ticket: Ticket) -> bool:
    return can_moderate_jurisdiction(user, ticket.jurisdiction_id)


def can_sanction(user: Any, target: Identity) -> bool:
    """Moderators sanction people; only admins may sanction staff (moderators, admins)."""
    if not is_moderator(user):
        return False
    if target.user_id is not None and is_moderator(target.user):
        return base.is_admin(user) and target.user_id != user.pk
    return True


def can_declare_emergency(user: Any) -> bool:
    return base.is_admin(user) or base.is_agent(user)


def can_grant_trust(user: Any) -> bool:
    return base.is_admin(user) or base.is_agent(user)


def can_read_audit(user: Any) -> bool:
    return is_moderator(user)
