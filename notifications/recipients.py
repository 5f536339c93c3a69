"""Who can be written to, at which address, in which language. Addresses are private: they
are only ever used as the single `To:` of that person's own message."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings

from notifications.models import AddressVerification, NotificationPreference
from tickets.models import Identity, Jurisdiction, Ticket

EMAIL_LIKE = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


def redact(text: Any) -> str:
    """People's words quoted in e-mail never carry an e-mail address (someone else's, or
    a user name that happens to be one)."""
    return EMAIL_LIKE.sub("[…]", str(text or ""))


def preference(user: Any) -> NotificationPreference | None:
    if user is None:
        return None
    try:
        return user.notification_preference
    except NotificationPreference.DoesNotExist:
        return None


def verified_email(user: Any) -> str:
    """The account's address if this account verified it, else "". Per account, not per
    address: an address verified by its owner's account does not make another account that
    names it (someone signing up with it) a way to mail it."""
    if user is None:
        return ""
    return verified_emails([user]).get(user.pk, "")


def verified_emails(users: Iterable[Any]) -> dict[int, str]:
    """`verified_email` of many accounts in one query: {user id: address}, verified ones only
    (the worker's job reads a ticket's followers at once)."""
    users = [u for u in users if u is not None and u.email]
    wanted = {u.pk: u.email.strip().lower() for u in users}
    if not wanted:
        return {}
    rows = AddressVerification.objects.filter(
        user_id__in=wanted, verified_at__isnull=False
    ).values_list("user_id", "email")
    ok = {user_id for user_id, email in rows if wanted[user_id] == email}
    return {u.pk: str(u.email) for u in users if u.pk in ok}


def language_for(user: Any) -> str:
    pref = preference(user)
    if pref and pref.language:
        return pref.language
    return settings.LANGUAGE_CODE


def reporter_address(ticket: Ticket) -> tuple[str, str] | None:
    """The reporter's address for the receipt and "is it fixed?": the e-mail they gave with
    the ticket, else their account's."""
    user = ticket.reporter.user
    address = ticket.contact_email or verified_email(user)
    if not address:
        return None
    return address, language_for(user)


def follower_address(
    identity: Identity, ticket: Ticket, *, verified: Mapping[int, str] | None = None
) -> tuple[str, str] | None:
    """Accounts get updates at their address unless they turned them off. Anonymous
    followers have no address, except a reporter who gave one with the ticket. `verified`:
    `verified_emails` of the followers, read once for all of them."""
    user = identity.user
    if user is not None:
        pref = preference(user)
        if pref is not None and not pref.email_updates:
            return None
        address = verified.get(user.pk, "") if verified is not None else verified_email(user)
        if address:
            return address, language_for(user)
    if identity.pk == ticket.reporter_id and ticket.contact_email:
        return ticket.contact_email, language_for(user)
    return None


def receiving_agents(jurisdiction: Jurisdiction) -> list[Any]:
    """The agents of the jurisdiction that received the ticket, or of its nearest ancestor
    that has agents (a borough without its own team is served by the city's)."""
    for jid in jurisdiction.ancestor_ids():
        node = Jurisdiction.objects.get(pk=jid)
        agents = list(node.agents.filter(is_active=True).order_by("pk"))
        if agents:
            return agents
    return []
