"""What `/ws/moderation/` carries, defined once: message types, payload builders and their
schemas. Messages use the public envelope (`realtime.events.envelope`) but no `seq`: the
moderation feed is live only, never replayed. Every ticket-related payload carries the
ticket's `jurisdiction` slug and `jurisdiction_id`, so a consumer can scope it per agent."""

from __future__ import annotations

from typing import Any

import jsonschema

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

_SCOPE = {
    "jurisdiction": {"type": ["string", "null"]},
    "jurisdiction_id": {"type": ["integer", "null"]},
}
_COMMENT = {
    "type": "object",
    "required": ["id", "ticket", "body", "author_key", "visibility"],
    "properties": {
        **events.COMMENT_SCHEMA["properties"],
        "author_key": {"type": "string"},
        "visibility": {"enum": ["visible", "hidden", "held", "shadowed"]},
        **_SCOPE,
    },
    "additionalProperties": False,
}
_OFFER = {
    "type": "object",
    "required": ["id", "status", "contact"],
    "properties": {
        "id": {"type": "integer"},
        "ticket": {"type": ["integer", "null"]},
        "event": {"type": ["string", "null"]},
        "status": {"type": "string"},
        "held": {"type": "boolean"},
        "message": {"type": "string"},
        "skills": {"type": "string"},
        "availability": {"type": "string"},
        "area": {"type": "string"},
        "contact": {"type": "string"},
        "author_key": {"type": "string"},
        "note": {"type": "string"},
        "created_at": {"type": "string"},
        **_SCOPE,
    },
    "additionalProperties": False,
}
SCHEMAS: dict[str, dict[str, Any]] = {
    COMMENT_CREATED: _COMMENT,
    COMMENT_HELD: _COMMENT,
    FLAG_CREATED: {
        "type": "object",
        "required": ["id", "comment", "reason", "score", "threshold"],
        "properties": {
            "id": {"type": "integer"},
            "comment": {"type": "integer"},
            "ticket": {"type": "integer"},
            "reason": {"type": "string"},
            "details": {"type": "string"},
            "weight": {"type": "number"},
            "score": {"type": "number"},
            "threshold": {"type": "number"},
            "hidden": {"type": "boolean"},
            "body": {"type": "string"},
            **_SCOPE,
        },
        "additionalProperties": False,
    },
    OFFER_CREATED: _OFFER,
    OFFER_UPDATED: _OFFER,
    MODERATION_ACTION: {
        "type": "object",
        "required": ["action", "target", "reason", "by"],
        "properties": {
            "action": {"type": "string"},
            "target": {
                "type": "object",
                "required": ["type", "id"],
                "properties": {
                    "type": {"type": "string"},
                    "id": {"type": ["integer", "string"]},
                },
            },
            "reason": {"type": "string"},
            "by": {"type": "string"},
            "audit": {"type": "integer"},
            **_SCOPE,
        },
        "additionalProperties": False,
    },
}


def validate(message: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError unless `message` is a well-formed moderation message."""
    assert set(message) <= {"type", "ticket", "at", "data"}, message
    jsonschema.validate(message["data"], SCHEMAS[message["type"]])


def scope_of(ticket: Any) -> dict[str, Any]:
    if ticket is None:
        return {"jurisdiction": None, "jurisdiction_id": None}
    return {"jurisdiction": ticket.jurisdiction.slug, "jurisdiction_id": ticket.jurisdiction_id}


def comment_for_moderators(comment: Comment) -> dict[str, Any]:
    data = comment_public(comment)
    visibility = comment.visibility
    if comment.shadow and visibility == Comment.Visibility.VISIBLE:
        visibility = "shadowed"
    data["visibility"] = visibility
    data["author_key"] = comment.author.public_key
    data.update(scope_of(comment.ticket))
    return data


def send(type: str, *, ticket: int | None, data: dict[str, Any], at: Any) -> None:
    """Send to the moderation group once the current transaction commits."""
    message = events.envelope(type=type, ticket=ticket, data=data, at=iso(at))
    publish.moderation_on_commit(message, jurisdiction_id=data.get("jurisdiction_id"))
