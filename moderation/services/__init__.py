"""What moderators (and flaggers, and volunteers) can do: the only code that writes moderation
data. Every moderator action takes a reason, writes one immutable AuditEntry and tells the
moderation feed (`moderation.action`) after commit. Comments change only through
`tickets.services.comment_set_visibility`, so their durable events are written in one place.

Concurrency: every action on a comment locks its ticket row, then the comment row (the order
`tickets.services` uses), then checks the state. A second moderator doing the same thing a
moment later finds nothing to do and gets a Conflict (409), never a double outcome.

One module per concept; this package re-exports their public names.
"""

from moderation.models import FLAGGED
from moderation.services._common import DETAILS_MAX, REASON_MAX
from moderation.services.announcements import (
    announcement_create,
    announcement_set_hidden,
    require_announcer,
)
from moderation.services.emergencies import (
    emergency_check,
    emergency_create,
    emergency_end,
    emergency_update,
    parse_event_area,
    require_emergency_declarer,
)
from moderation.services.flags import flag_create, flag_offer, flag_ticket
from moderation.services.offers import (
    OFFER_DECISIONS,
    offer_create,
    offer_review,
    offer_withdraw,
)
from moderation.services.queue import (
    COMMENT_ACTIONS,
    OFFER_ACTIONS,
    TICKET_ACTIONS,
    comment_moderate,
    offer_flags_moderate,
    on_comment_created,
    ticket_flags_moderate,
)
from moderation.services.sanctions import (
    SANCTION_MAX_MINUTES,
    posting_policy,
    sanction_create,
    sanction_revoke,
)
from moderation.services.trust import require_trust_granter, trust_grant, trust_revoke

__all__ = [
    "announcement_create",
    "announcement_set_hidden",
    "emergency_check",
    "emergency_end",
    "emergency_update",
    "parse_event_area",
    "require_announcer",
    "COMMENT_ACTIONS",
    "OFFER_ACTIONS",
    "TICKET_ACTIONS",
    "DETAILS_MAX",
    "FLAGGED",
    "OFFER_DECISIONS",
    "REASON_MAX",
    "SANCTION_MAX_MINUTES",
    "comment_moderate",
    "emergency_create",
    "flag_create",
    "flag_offer",
    "flag_ticket",
    "offer_flags_moderate",
    "ticket_flags_moderate",
    "offer_create",
    "offer_review",
    "offer_withdraw",
    "on_comment_created",
    "posting_policy",
    "require_emergency_declarer",
    "require_trust_granter",
    "sanction_create",
    "sanction_revoke",
    "trust_grant",
    "trust_revoke",
]
