"""Every message a socket can carry, defined once: its type, its payload (a TypedDict per
type's `data`) and the envelope around it. The JSON Schemas are derived from the TypedDicts
(`pydantic.TypeAdapter(...).json_schema()`), never written by hand; tests validate every
type against them (`validate`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal, NotRequired

import jsonschema
from pydantic import ConfigDict, Field, TypeAdapter, WithJsonSchema, with_config
from typing_extensions import TypedDict  # pydantic needs this one on Python < 3.12

# Durable events: written in the ticket's event log with a per-ticket seq.
TICKET_CREATED = "ticket.created"
TICKET_UPDATED = "ticket.updated"
TICKET_STATUS_CHANGED = "ticket.status_changed"
COMMENT_CREATED = "comment.created"
COMMENT_HIDDEN = "comment.hidden"
COMMENT_RESTORED = "comment.restored"
OFFER_CREATED = "offer.created"
OFFER_UPDATED = "offer.updated"
# Casework: a duplicate merged into another ticket, and the merge undone (on the duplicate).
TICKET_MERGED = "ticket.merged"
TICKET_UNMERGED = "ticket.unmerged"
# Takedown: a ticket hidden by a moderator, and brought back (never any text of the ticket).
TICKET_HIDDEN = "ticket.hidden"
TICKET_RESTORED = "ticket.restored"
DURABLE_TYPES = frozenset(
    {
        TICKET_CREATED,
        TICKET_UPDATED,
        TICKET_STATUS_CHANGED,
        COMMENT_CREATED,
        COMMENT_HIDDEN,
        COMMENT_RESTORED,
        OFFER_CREATED,
        OFFER_UPDATED,
        TICKET_MERGED,
        TICKET_UNMERGED,
        TICKET_HIDDEN,
        TICKET_RESTORED,
    }
)
# Transient messages: no seq, never stored.
HELLO = "hello"
TICKET_COUNTERS = "ticket.counters"
ERROR = "error"
PONG = "pong"
# An emergency's announcement: to its event page and every ticket socket of its tickets.
EVENT_ANNOUNCEMENT = "event.announcement"
# An offer of an emergency changed (to its event page's feed group; not durable, no seq).
EVENT_OFFER = "event.offer"
# Events that also go to the public area feeds.
# (`ticket.hidden` / `ticket.restored` too, so open lists and maps drop or refetch it.)
FEED_TYPES = frozenset({TICKET_CREATED, TICKET_STATUS_CHANGED, TICKET_HIDDEN, TICKET_RESTORED})

# --- Payloads: the `data` of each message type ------------------------------------------
# `FORBID`: no key beyond those listed (JSON Schema `additionalProperties: false`).
FORBID = ConfigDict(extra="forbid")

Status = Literal["open", "acknowledged", "closed"]
Count = Annotated[int, Field(ge=0)]
# An ISO 8601 time as `iso()` writes it.
IsoTime = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]


class TicketCounters(TypedDict):
    """`hello` and `ticket.counters` on a ticket socket (more keys allowed)."""

    views: Count
    followers: Count
    votes: Count
    thanks: Count
    watching: Count


@with_config(FORBID)
class CommentData(TypedDict):
    """`comment.created`, `comment.restored`."""

    id: int
    ticket: int
    body: str
    body_html: str
    author: str
    # True when the author gave no name: a reader shows "Anonymous" in their own language.
    # Absent from events written before 2026-12-04.
    anonymous: NotRequired[bool]
    official: bool
    created_at: IsoTime


@with_config(FORBID)
class TicketSummary(TypedDict):
    """`ticket.created`."""

    id: int
    title: str
    description: NotRequired[str]
    status: Status
    service_code: str
    service_name: NotRequired[str]
    jurisdiction: str
    event: NotRequired[str | None]
    lat: float
    long: float
    address: NotRequired[str]
    reporter: NotRequired[str]
    url: str
    created_at: str


@with_config(FORBID)
class TicketUpdated(TypedDict):
    """`ticket.updated`: the names of the changed fields and their new values."""

    changed: list[str]
    title: NotRequired[str]
    description: NotRequired[str]
    address: NotRequired[str]
    service_code: NotRequired[str]
    event: NotRequired[str | None]
    # An edit of the location; a new jurisdiction means the ticket was rerouted.
    lat: NotRequired[float]
    long: NotRequired[float]
    jurisdiction: NotRequired[str]
    previous_jurisdiction: NotRequired[str]

    # Casework: the ids of the tickets merged into this one, after a merge or an unmerge.
    duplicates: NotRequired[list[int]]


# `ticket.status_changed`. Functional syntax: `from` is a Python keyword.
TicketStatusChanged = TypedDict(
    "TicketStatusChanged",
    {
        "id": int,
        "from": Status,
        "to": Status,
        "note": str,
        "by": str,
        "official": NotRequired[bool],
        "title": str,
        "jurisdiction": str,
        "event": NotRequired[str | None],
        # Casework: why, when it is not a plain transition ("duplicate", "unmerged"), and
        # the original a duplicate was closed for (the status itself stays `closed`).
        "reason": NotRequired[Literal["duplicate", "unmerged"]],
        "duplicate_of": NotRequired[int | None],
    },
)
with_config(FORBID)(TicketStatusChanged)


@with_config(FORBID)
class CommentHidden(TypedDict):
    """`comment.hidden`: only the id; the text is gone."""

    id: int


@with_config(FORBID)
class OfferData(TypedDict):
    """`offer.created`, `offer.updated` (never the contact: that is for moderators)."""

    id: int
    status: str
    message: NotRequired[str]
    skills: NotRequired[str]
    availability: NotRequired[str]
    author: NotRequired[str]
    created_at: NotRequired[str]


@with_config(FORBID)
class TicketMerged(TypedDict):
    """`ticket.merged`, on the duplicate: it is closed as a duplicate of `into`."""

    into: int
    into_title: str
    into_url: str
    status: Status
    previous_status: Status
    reason: Literal["duplicate"]
    note: str
    by: str


@with_config(FORBID)
class TicketUnmerged(TypedDict):
    """`ticket.unmerged`, on the former duplicate: no longer a duplicate of `original`."""

    original: int
    status: Status
    note: str
    by: str


@with_config(FORBID)
class TicketVisibility(TypedDict):
    """`ticket.hidden`, `ticket.restored`: which ticket and its visibility now. No title,
    description or reason: the point of a takedown is that its text is served no more."""

    id: int
    visibility: Literal["visible", "hidden"]


class ErrorData(TypedDict):
    """`error` (more keys allowed)."""

    code: str
    message: str


class PongData(TypedDict):
    """`pong`: an empty object (any object accepted)."""


@with_config(FORBID)
class EventAnnouncement(TypedDict):
    """`event.announcement`: a moderator's message to an emergency (not durable, no seq)."""

    id: int
    body: str
    event: str
    at: IsoTime


@with_config(FORBID)
class EventOffer(TypedDict):
    """`event.offer`: an offer of help in an emergency, as anyone may see it. Never its
    contact, message, area or author. Sent only for offers that were never held: `pending`
    carries no `skills` (nothing unreviewed is shown); `accepted` and `completed` are listed on
    the event page; `declined` or `withdrawn` take it off."""

    id: int
    event: str
    status: Literal["pending", "accepted", "completed", "declined", "withdrawn"]
    skills: NotRequired[str]
    ticket: int | None
    ticket_title: NotRequired[str]
    ticket_url: NotRequired[str]
    at: IsoTime


# --- Casework: staff-only messages -------------------------------------------------------
# Never in the public log, never with a seq: sent to the ticket's staff group (its socket,
# joined by staff of its jurisdiction only) and the agents' moderation group of the place.
TICKET_ASSIGNED = "ticket.assigned"
NOTE_CREATED = "note.created"
TICKET_PRIORITY_CHANGED = "ticket.priority_changed"
TICKET_REROUTED = "ticket.rerouted"
STAFF_TYPES = frozenset({TICKET_ASSIGNED, NOTE_CREATED, TICKET_PRIORITY_CHANGED, TICKET_REROUTED})


@with_config(FORBID)
class TicketAssigned(TypedDict):
    """`ticket.assigned`: the new assignee and team (None: nobody)."""

    assignee: str | None
    assignee_name: str | None
    team: str | None
    team_name: str | None
    by: str


@with_config(FORBID)
class NoteData(TypedDict):
    """`note.created`: an internal note."""

    id: int
    ticket: int
    body: str
    body_html: str
    author: str
    created_at: IsoTime


@with_config(FORBID)
class TicketPriorityChanged(TypedDict):
    """`ticket.priority_changed`: the priority and due date now."""

    priority: str  # low, normal, high, urgent
    due_at: IsoTime | None
    overdue: bool
    by: str


@with_config(FORBID)
class TicketRerouted(TypedDict):
    """`ticket.rerouted`: moved to another jurisdiction (slugs), on the dashboards."""

    jurisdiction: str
    previous_jurisdiction: str
    title: str
    by: str


DATA_TYPES: dict[str, Any] = {
    TICKET_CREATED: TicketSummary,
    TICKET_UPDATED: TicketUpdated,
    TICKET_STATUS_CHANGED: TicketStatusChanged,
    COMMENT_CREATED: CommentData,
    COMMENT_RESTORED: CommentData,
    COMMENT_HIDDEN: CommentHidden,
    OFFER_CREATED: OfferData,
    OFFER_UPDATED: OfferData,
    TICKET_MERGED: TicketMerged,
    TICKET_UNMERGED: TicketUnmerged,
    TICKET_HIDDEN: TicketVisibility,
    TICKET_RESTORED: TicketVisibility,
    HELLO: TicketCounters,
    TICKET_COUNTERS: TicketCounters,
    ERROR: ErrorData,
    PONG: PongData,
    EVENT_ANNOUNCEMENT: EventAnnouncement,
    EVENT_OFFER: EventOffer,
    TICKET_ASSIGNED: TicketAssigned,
    NOTE_CREATED: NoteData,
    TICKET_PRIORITY_CHANGED: TicketPriorityChanged,
    TICKET_REROUTED: TicketRerouted,
}


@with_config(FORBID)
class Envelope(TypedDict):
    """One frame on a socket."""

    type: Annotated[str, WithJsonSchema({"enum": sorted(DATA_TYPES)})]
    ticket: NotRequired[int | None]
    seq: NotRequired[Count]
    at: NotRequired[str]
    data: dict[str, Any]


def json_schema(payload: Any) -> dict[str, Any]:
    """The JSON Schema of a payload TypedDict, derived by pydantic."""
    return TypeAdapter(payload).json_schema()


DATA_SCHEMAS: dict[str, dict[str, Any]] = {t: json_schema(p) for t, p in DATA_TYPES.items()}
COMMENT_SCHEMA = DATA_SCHEMAS[COMMENT_CREATED]
TICKET_SUMMARY_SCHEMA = DATA_SCHEMAS[TICKET_CREATED]
ENVELOPE_SCHEMA = json_schema(Envelope)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def envelope(
    *,
    type: str,
    ticket: int | None,
    data: Mapping[str, Any],
    seq: int | None = None,
    at: datetime | str | None = None,
) -> dict[str, Any]:
    message: dict[str, Any] = {"type": type, "ticket": ticket}
    if seq is not None:
        message["seq"] = seq
    if at is not None:
        message["at"] = at if isinstance(at, str) else iso(at)
    message["data"] = data
    return message


def validate(message: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError unless `message` is a well-formed envelope."""
    jsonschema.validate(message, ENVELOPE_SCHEMA)
    jsonschema.validate(message["data"], DATA_SCHEMAS[message["type"]])
    if message["type"] in DURABLE_TYPES:
        if not isinstance(message.get("seq"), int) or message["seq"] < 1:
            raise jsonschema.ValidationError(f"{message['type']} needs a seq >= 1")
        if not isinstance(message.get("ticket"), int):
            raise jsonschema.ValidationError(f"{message['type']} needs its ticket id")
