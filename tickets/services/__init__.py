"""The only code that writes tickets, comments and reactions.

Every visible change is written in one transaction together with its TicketEvent row, whose
per-ticket `seq` is allocated under a row lock on the ticket, and is broadcast after commit
through `realtime.publish` (see `eventlog._append_event`, the one way to write both). Views,
the API, consumers, the admin and commands call these functions; they never save models
themselves.

The package is split by concept; every public name is re-exported here, so callers (and the
hooks other apps register: `register_posting_policy`, `register_comment_listener`,
`register_event_listener`) keep using `tickets.services`.
"""

from tickets.services.casework import (
    casework_defaults,
    is_overdue,
    note_create,
    note_data,
    notes_for,
    ticket_assign,
    ticket_edit,
)
from tickets.services.comments import (
    CommentListener,
    comment_create,
    comment_set_visibility,
    register_comment_listener,
)
from tickets.services.eventlog import (
    EventListener,
    _append_event,
    _lock_ticket,
    register_event_listener,
    ticket_record_event,
)
from tickets.services.page_views import aticket_view, ticket_add_views, ticket_view
from tickets.services.pending import pending_forget, pending_keep, pending_photos
from tickets.services.photos import photo_attach, photo_prepare
from tickets.services.policy import PostingDecision, PostingPolicy, register_posting_policy
from tickets.services.reactions import ticket_react, ticket_unfollow
from tickets.services.routing import route
from tickets.services.tickets import TRANSITIONS, ticket_create, ticket_transition, ticket_update
from tickets.services.validation import (
    ADDRESS_MAX,
    COMMENT_MAX,
    DESCRIPTION_MAX,
    DISPLAY_NAME_MAX,
    NOTE_MAX,
    TITLE_MAX,
    clean_text,
    parse_coordinate,
    validate_answers,
)

__all__ = [
    "ADDRESS_MAX",
    "COMMENT_MAX",
    "DESCRIPTION_MAX",
    "DISPLAY_NAME_MAX",
    "NOTE_MAX",
    "TITLE_MAX",
    "TRANSITIONS",
    "CommentListener",
    "EventListener",
    "PostingDecision",
    "PostingPolicy",
    "_append_event",
    "_lock_ticket",
    "clean_text",
    "comment_create",
    "comment_set_visibility",
    "parse_coordinate",
    "pending_forget",
    "pending_keep",
    "pending_photos",
    "photo_attach",
    "photo_prepare",
    "register_comment_listener",
    "register_event_listener",
    "register_posting_policy",
    "route",
    "ticket_add_views",
    "ticket_create",
    "ticket_record_event",
    "ticket_react",
    "ticket_transition",
    "ticket_unfollow",
    "ticket_update",
    "aticket_view",
    "ticket_view",
    "validate_answers",
    "casework_defaults",
    "is_overdue",
    "note_create",
    "note_data",
    "notes_for",
    "ticket_assign",
    "ticket_edit",
]

# Casework: duplicates (merge, unmerge).
from tickets.services.merging import ticket_merge, ticket_unmerge  # noqa: E402

__all__ += ["ticket_merge", "ticket_unmerge"]

# Takedown: a ticket hidden from the public and restored (audited by moderation's listener).
from tickets.services.takedown import (  # noqa: E402
    VisibilityChange,
    VisibilityListener,
    can_take_down,
    register_ticket_visibility_listener,
    require_some_moderator,
    ticket_set_visibility,
)

__all__ += [
    "VisibilityChange",
    "VisibilityListener",
    "can_take_down",
    "register_ticket_visibility_listener",
    "require_some_moderator",
    "ticket_set_visibility",
]
