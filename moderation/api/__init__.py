"""Moderation and volunteers in the REST API (`/api/v1/`): thin views over
`moderation.services` and `moderation.selectors`. Errors are the write layer's
(`tickets.api.exception_handler` maps them to 400/403/404/409/429).

One module per concept; this package re-exports the views `moderation.urls` routes to.
"""

from moderation.api.audit import audit
from moderation.api.emergencies import (
    announcement_hide,
    announcements,
    emergency_detail,
    emergency_end,
    emergency_list,
)
from moderation.api.flags import flag, flag_offer, flag_ticket
from moderation.api.offers import (
    emergency_offers,
    offer_detail,
    offer_queue,
    offer_review,
    offer_withdraw,
    ticket_offers,
)
from moderation.api.queue import hide, item_action, queue, restore, target_action
from moderation.api.sanctions import collateral, sanction_revoke, sanctions
from moderation.api.trust import trust, trust_revoke

__all__ = [
    "announcement_hide",
    "announcements",
    "emergency_end",
    "audit",
    "collateral",
    "emergency_detail",
    "emergency_list",
    "emergency_offers",
    "flag",
    "flag_offer",
    "flag_ticket",
    "hide",
    "item_action",
    "offer_detail",
    "offer_queue",
    "offer_review",
    "offer_withdraw",
    "queue",
    "restore",
    "sanction_revoke",
    "sanctions",
    "target_action",
    "ticket_offers",
    "trust",
    "trust_revoke",
]
