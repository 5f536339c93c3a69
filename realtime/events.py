"""Every message a socket can carry, defined once: its type, its payload schema, and the
envelope around it. Tests validate every type against these schemas (JSON Schema)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import jsonschema

# Durable events: written in the ticket's event log with a per-ticket seq.
TICKET_CREATED = "ticket.created"
TICKET_UPDATED = "ticket.updated"
TICKET_STATUS_CHANGED = "ticket.status_changed"
COMMENT_CREATED = "comment.created"
COMMENT_HIDDEN = "comment.hidden"
COMMENT_RESTORED = "comment.restored"
OFFER_CREATED = "offer.created"
OFFER_UPDATED = "offer.updated"
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
    }
)
# Transient messages: no seq, never stored.
HELLO = "hello"
TICKET_COUNTERS = "ticket.counters"
ERROR = "error"
PONG = "pong"
# Events that also go to the public area feeds.
FEED_TYPES = frozenset({TICKET_CREATED, TICKET_STATUS_CHANGED})

_STATUS = {"enum": ["open", "acknowledged", "closed"]}
_COUNTERS = {
    "type": "object",
    "required": ["views", "followers", "votes", "thanks"],
    "properties": {
        k: {"type": "integer", "minimum": 0}
        for k in ("views", "followers", "votes", "thanks", "watching")
    },
}
COMMENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "ticket", "body", "body_html", "author", "official", "created_at"],
    "properties": {
        "id": {"type": "integer"},
        "ticket": {"type": "integer"},
        "body": {"type": "string"},
        "body_html": {"type": "string"},
        "author": {"type": "string"},
        "official": {"type": "boolean"},
        "created_at": {"type": "string", "format": "date-time"},
    },
    "additionalProperties": False,
}
TICKET_SUMMARY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [
        "id",
        "title",
        "status",
        "service_code",
        "jurisdiction",
        "lat",
        "long",
        "url",
        "created_at",
    ],
    "properties": {
        "id": {"type": "integer"},
        "title": {"type": "string"},
        "description": {"type": "string"},
        "status": _STATUS,
        "service_code": {"type": "string"},
        "service_name": {"type": "string"},
        "jurisdiction": {"type": "string"},
        "event": {"type": ["string", "null"]},
        "lat": {"type": "number"},
        "long": {"type": "number"},
        "address": {"type": "string"},
        "reporter": {"type": "string"},
        "url": {"type": "string"},
        "created_at": {"type": "string"},
    },
    "additionalProperties": False,
}
DATA_SCHEMAS: dict[str, dict[str, Any]] = {
    TICKET_CREATED: TICKET_SUMMARY_SCHEMA,
    TICKET_UPDATED: {
        "type": "object",
        "required": ["changed"],
        "properties": {
            "changed": {"type": "array", "items": {"type": "string"}},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "address": {"type": "string"},
            "service_code": {"type": "string"},
            "event": {"type": ["string", "null"]},
        },
        "additionalProperties": False,
    },
    TICKET_STATUS_CHANGED: {
        "type": "object",
        "required": ["id", "from", "to", "note", "by", "title", "jurisdiction"],
        "properties": {
            "id": {"type": "integer"},
            "from": _STATUS,
            "to": _STATUS,
            "note": {"type": "string"},
            "by": {"type": "string"},
            "official": {"type": "boolean"},
            "title": {"type": "string"},
            "jurisdiction": {"type": "string"},
            "event": {"type": ["string", "null"]},
        },
        "additionalProperties": False,
    },
    COMMENT_CREATED: COMMENT_SCHEMA,
    COMMENT_RESTORED: COMMENT_SCHEMA,
    COMMENT_HIDDEN: {
        "type": "object",
        "required": ["id"],
        "properties": {"id": {"type": "integer"}},
        "additionalProperties": False,
    },
    OFFER_CREATED: {
        "type": "object",
        "required": ["id", "status"],
        "properties": {
            "id": {"type": "integer"},
            "status": {"type": "string"},
            "message": {"type": "string"},
            "skills": {"type": "string"},
            "availability": {"type": "string"},
            "author": {"type": "string"},
            "created_at": {"type": "string"},
        },
        "additionalProperties": False,
    },
    HELLO: {**_COUNTERS, "required": ["views", "followers", "votes", "thanks", "watching"]},
    TICKET_COUNTERS: {
        **_COUNTERS,
        "required": ["views", "followers", "votes", "thanks", "watching"],
    },
    ERROR: {
        "type": "object",
        "required": ["code", "message"],
        "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
    },
    PONG: {"type": "object"},
}
DATA_SCHEMAS[OFFER_UPDATED] = DATA_SCHEMAS[OFFER_CREATED]

ENVELOPE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "data"],
    "properties": {
        "type": {"type": "string", "enum": sorted(DATA_SCHEMAS)},
        "ticket": {"type": ["integer", "null"]},
        "seq": {"type": "integer", "minimum": 0},
        "at": {"type": "string"},
        "data": {"type": "object"},
    },
    "additionalProperties": False,
}


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def envelope(
    *,
    type: str,
    ticket: int | None,
    data: dict[str, Any],
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
