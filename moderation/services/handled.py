"""The 409 of a late click: "Already handled by Ana: hidden", so the second moderator knows
who acted first and that nothing more is needed (queue items and offers alike)."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from moderation import selectors
from tickets.errors import Conflict

# How the "Already handled" message names what was done (audit actions).
DONE = {
    "hide": gettext_noop("hidden"),
    "restore": gettext_noop("restored"),
    "approve": gettext_noop("approved"),
    "reject": gettext_noop("rejected"),
    "dismiss": gettext_noop("flags dismissed"),
    "auto_hide": gettext_noop("hidden automatically"),
    "ticket.hide": gettext_noop("hidden"),
    "ticket.restore": gettext_noop("restored"),
    "offer.decline": gettext_noop("declined"),
    "offer.accept": gettext_noop("accepted"),
    "offer.complete": gettext_noop("completed"),
    "offer.withdraw": gettext_noop("withdrawn"),
}
OFFER_OUTCOMES = ("offer.accept", "offer.decline", "offer.complete", "offer.withdraw")


def already_handled(
    target_type: str, target_id: int, actions: Iterable[str] | None = None
) -> Conflict:
    """Who handled the item last (of `actions`, when given), and how."""
    entry = selectors.last_action_on(target_type, target_id, actions)
    if entry is None:
        return Conflict(_("This item was already handled."))
    done = DONE.get(entry.action)
    return Conflict(
        _("Already handled by %(by)s: %(done)s.")
        % {"by": entry.actor_name, "done": _(done) if done else entry.action}
    )
