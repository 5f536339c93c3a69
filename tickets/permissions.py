"""Who may do what. Roles: anonymous visitor, citizen (any account), trusted volunteer
(group), agent (member of jurisdictions, acting on them and their descendants), admin
(superuser). Pure functions over the user; the write layer calls them."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef

from tickets import jurisdictions
from tickets.models import Jurisdiction, Ticket

TRUSTED_VOLUNTEERS_GROUP = "Trusted volunteers"
AGENTS_GROUP = "Agents"


def is_account(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def is_admin(user: Any) -> bool:
    return is_account(user) and bool(user.is_superuser)


# Answers are kept on the user object, so for one request (one user object) each costs its
# query once.
_CACHE = "_fixline_perm_cache"


def _cached(user: Any, name: str, compute: Any) -> Any:
    cache = user.__dict__.setdefault(_CACHE, {})
    if name not in cache:
        cache[name] = compute()
    return cache[name]


def forget_roles(user: Any) -> None:
    """Drop what was computed for this user object (their roles just changed)."""
    user.__dict__.pop(_CACHE, None)


def _known(user: Any, name: str) -> Any:
    """An answer already computed for this user object, or None (never a query)."""
    return user.__dict__.get(_CACHE, {}).get(name) if is_account(user) else None


def agent_jurisdiction_ids(user: Any) -> frozenset[int]:
    """Jurisdictions an agent acts on: those they belong to, and every descendant."""
    if not is_account(user):
        return frozenset()

    def compute() -> frozenset[int]:
        # One query: every jurisdiction's parent, each marked when the user is its agent, and
        # no rows at all for someone who is nobody's agent (every agent's write asks this).
        membership = Jurisdiction.agents.through.objects.filter(user_id=user.pk)
        rows = (
            Jurisdiction.objects.filter(Exists(membership))
            .order_by()
            .values_list(
                "id", "parent_id", Exists(membership.filter(jurisdiction_id=OuterRef("pk")))
            )
        )
        parents: dict[int, int | None] = {}
        direct: set[int] = set()
        for jurisdiction_id, parent_id, is_agent_there in rows:
            parents[jurisdiction_id] = parent_id
            if is_agent_there:
                direct.add(jurisdiction_id)
        return jurisdictions.descendant_ids(direct, parents=parents)

    return _cached(user, "agent_jurisdictions", compute)


def is_agent(user: Any) -> bool:
    return bool(agent_jurisdiction_ids(user))


def is_agent_for(user: Any, jurisdiction_id: int) -> bool:
    return is_admin(user) or jurisdiction_id in agent_jurisdiction_ids(user)


def is_trusted_volunteer(user: Any) -> bool:
    if not is_account(user):
        return False
    return _cached(
        user,
        "trusted",
        lambda: user.groups.filter(name=TRUSTED_VOLUNTEERS_GROUP).exists(),
    )


def is_moderator(user: Any) -> bool:
    return is_admin(user) or is_agent(user) or is_trusted_volunteer(user)


def is_moderator_for(user: Any, jurisdiction_id: int) -> bool:
    """Moderates this jurisdiction's tickets: admins and trusted volunteers everywhere, agents
    in their jurisdictions (and descendants). Hidden comments and author keys are theirs."""
    if is_admin(user):
        return True
    # An agent's jurisdictions already read in this request (their comment asked them) answer
    # without the volunteers' group query; otherwise the group first, as it is the cheaper one.
    if jurisdiction_id in (_known(user, "agent_jurisdictions") or ()):
        return True
    return is_trusted_volunteer(user) or is_agent_for(user, jurisdiction_id)


def is_exempt_from_rate_limits(user: Any) -> bool:
    return is_admin(user) or is_agent(user)


def can_acknowledge_or_close(user: Any, ticket: Ticket) -> bool:
    return is_agent_for(user, ticket.jurisdiction_id)


def can_reopen(user: Any, identity_id: int | None, ticket: Ticket) -> bool:
    """The reporter (even anonymous) or any citizen with an account."""
    return is_account(user) or (identity_id is not None and identity_id == ticket.reporter_id)


def allowed_actions(user: Any, identity_id: int | None, ticket: Ticket) -> list[str]:
    """The transitions this person may use on this ticket now (for buttons)."""
    actions = []
    agent = can_acknowledge_or_close(user, ticket)
    if agent and ticket.status == Ticket.Status.OPEN:
        actions.append("acknowledge")
    if agent and ticket.status in (Ticket.Status.OPEN, Ticket.Status.ACKNOWLEDGED):
        actions.append("close")
    if ticket.status == Ticket.Status.CLOSED and can_reopen(user, identity_id, ticket):
        actions.append("reopen")
    return actions


def possible_actions(user: Any, identity_id: int | None, ticket: Ticket) -> list[str]:
    """The transitions this person could use on this ticket in some status. Most watchers
    (anonymous, not the reporter) have none, so their pages never refetch buttons."""
    if can_acknowledge_or_close(user, ticket):
        return ["acknowledge", "close", "reopen"]
    return ["reopen"] if can_reopen(user, identity_id, ticket) else []


# --- Casework ----------------------------------------------------------------------------------


def can_do_casework(user: Any, ticket: Ticket) -> bool:
    """Staff of the ticket's jurisdiction (its agents, those of its ancestors, admins) assign,
    prioritise, edit and reroute it and read and write its internal notes."""
    return is_agent_for(user, ticket.jurisdiction_id)


def is_assignable(user: Any, ticket: Ticket) -> bool:
    """An active account that is staff of the ticket's jurisdiction."""
    return bool(getattr(user, "is_active", False)) and can_do_casework(user, ticket)
