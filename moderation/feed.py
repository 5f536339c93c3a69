"""What `/ws/moderation/` carries, defined once: message types, payload builders and their
payloads (a TypedDict per type's `data`; the JSON Schemas are derived from them, as in
`realtime.events`). The socket itself is `moderation.consumers`. Messages use the public envelope (`realtime.events.envelope`) but no `seq`: the
moderation feed is live only, never replayed. Every ticket-related payload carries the
ticket's `jurisdiction` slug and `jurisdiction_id`, so a consumer can scope it per agent."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, NotRequired

import jsonschema
from pydantic import ConfigDict, with_config
from typing_extensions import TypedDict  # pydantic needs this one on Python < 3.12

from realtime import events, publish
from realtime.events import iso
from tickets.models import Comment
from tickets.public import comment_public

COMMENT_CREATED = "comment.created"
COMMENT_HELD = "comment.held"
FLAG_CREATED = "flag.created"
OFFER_CREATED = "offer.created"
OFFER_UPDATED = "offer.updated"
MODERATION_ACTION = "moderation.action"

# --- Payloads: the `data` of each message type (JSON Schemas derived, see SCHEMAS) ---------


class Scope(TypedDict):
    """Where a ticket-related payload belongs (None: tied to no place)."""

    jurisdiction: str | None
    jurisdiction_id: int | None


@with_config(events.FORBID)
class ModerationComment(TypedDict):
    """`comment.created`, `comment.held`: the public comment plus what moderators see."""

    id: int
    ticket: int
    body: str
    body_html: NotRequired[str]
    author: NotRequired[str]
    official: NotRequired[bool]
    created_at: NotRequired[events.IsoTime]
    author_key: str
    visibility: Literal["visible", "hidden", "held", "shadowed"]
    jurisdiction: NotRequired[str | None]
    jurisdiction_id: NotRequired[int | None]


@with_config(events.FORBID)
class ModerationOffer(TypedDict):
    """`offer.created`, `offer.updated`, with the contact."""

    id: int
    ticket: NotRequired[int | None]
    event: NotRequired[str | None]
    status: str
    held: NotRequired[bool]
    message: NotRequired[str]
    skills: NotRequired[str]
    availability: NotRequired[str]
    area: NotRequired[str]
    contact: str
    author_key: NotRequired[str]
    note: NotRequired[str]
    created_at: NotRequired[str]
    jurisdiction: NotRequired[str | None]
    jurisdiction_id: NotRequired[int | None]


@with_config(events.FORBID)
class FlagCreated(TypedDict):
    """`flag.created`: a flag on a comment, a ticket or an offer (`kind`)."""

    id: int
    kind: NotRequired[Literal["comment", "ticket", "offer"]]
    comment: NotRequired[int | None]
    offer: NotRequired[int | None]
    ticket: NotRequired[int]
    reason: str
    details: NotRequired[str]
    weight: NotRequired[float]
    score: float
    threshold: float
    hidden: NotRequired[bool]
    body: NotRequired[str]
    jurisdiction: NotRequired[str | None]
    jurisdiction_id: NotRequired[int | None]


@with_config(ConfigDict(extra="allow"))  # not inherited from the message: more keys allowed
class ActionTarget(TypedDict):
    type: str
    id: int | str


@with_config(events.FORBID)
class ModerationAction(TypedDict):
    """`moderation.action`: every action, with its audit entry."""

    action: str
    target: ActionTarget
    reason: str
    by: str
    audit: NotRequired[int]
    jurisdiction: NotRequired[str | None]
    jurisdiction_id: NotRequired[int | None]


DATA_TYPES: dict[str, Any] = {
    COMMENT_CREATED: ModerationComment,
    COMMENT_HELD: ModerationComment,
    FLAG_CREATED: FlagCreated,
    OFFER_CREATED: ModerationOffer,
    OFFER_UPDATED: ModerationOffer,
    MODERATION_ACTION: ModerationAction,
}
SCHEMAS: dict[str, dict[str, Any]] = {t: events.json_schema(p) for t, p in DATA_TYPES.items()}


def validate(message: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError unless `message` is a well-formed moderation message."""
    assert set(message) <= {"type", "ticket", "at", "data"}, message
    jsonschema.validate(message["data"], SCHEMAS[message["type"]])


def scope_of(ticket: Any) -> Scope:
    if ticket is None:
        return {"jurisdiction": None, "jurisdiction_id": None}
    return {"jurisdiction": ticket.jurisdiction.slug, "jurisdiction_id": ticket.jurisdiction_id}


def comment_for_moderators(comment: Comment) -> ModerationComment:
    public = comment_public(comment)
    visibility: Any = comment.visibility  # a Comment.Visibility value, or "shadowed"
    if comment.shadow and visibility == Comment.Visibility.VISIBLE:
        visibility = "shadowed"
    scope = scope_of(comment.ticket)
    return {
        "id": public["id"],
        "ticket": public["ticket"],
        "body": public["body"],
        "body_html": public["body_html"],
        "author": public["author"],
        "official": public["official"],
        "created_at": public["created_at"],
        "visibility": visibility,
        "author_key": comment.author.public_key,
        "jurisdiction": scope["jurisdiction"],
        "jurisdiction_id": scope["jurisdiction_id"],
    }


def send(type: str, *, ticket: int | None, data: Mapping[str, Any], at: Any) -> None:
    """Send to the moderation group once the current transaction commits."""
    message = events.envelope(type=type, ticket=ticket, data=data, at=iso(at))
    publish.moderation_on_commit(message, jurisdiction_id=data.get("jurisdiction_id"))
