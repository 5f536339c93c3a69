"""The message definitions (realtime/events.py): the JSON Schemas are derived from the payload
TypedDicts, and `validate` refuses what the protocol does not allow."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from realtime import events


def comment_created(**data: Any) -> dict[str, Any]:
    payload = {
        "id": 1,
        "ticket": 2,
        "body": "b",
        "body_html": "<p>b</p>",
        "author": "a",
        "official": False,
        "created_at": "2026-01-01T00:00:00Z",
        **data,
    }
    return events.envelope(type=events.COMMENT_CREATED, ticket=2, data=payload, seq=3)


def test_every_type_has_a_payload_and_a_derived_schema() -> None:
    assert set(events.DATA_SCHEMAS) == set(events.DATA_TYPES)
    assert set(events.DATA_TYPES) >= events.DURABLE_TYPES
    for payload in events.DATA_TYPES.values():
        schema = events.json_schema(payload)
        assert set(schema["properties"]) == set(payload.__annotations__)
    assert events.ENVELOPE_SCHEMA["properties"]["type"]["enum"] == sorted(events.DATA_TYPES)


def test_a_well_formed_message_passes() -> None:
    events.validate(comment_created())
    events.validate(events.envelope(type=events.PONG, ticket=None, data={}))


@pytest.mark.parametrize(
    "message",
    [
        comment_created(extra="no"),  # unknown key
        comment_created(official="yes"),  # wrong type
        comment_created(id=True),  # a boolean is not an id
        {**comment_created(), "seq": None},  # durable without seq
        {**comment_created(), "type": "comment.unknown"},
        {**comment_created(), "surprise": 1},  # unknown envelope key
        events.envelope(type=events.HELLO, ticket=1, data={"views": -1}),
        events.envelope(
            type=events.TICKET_STATUS_CHANGED,
            ticket=1,
            seq=2,
            data={"id": 1, "from": "open", "to": "gone", "note": "", "by": "x", "title": "t"}
            | {"jurisdiction": "city"},
        ),
    ],
)
def test_malformed_messages_are_refused(message: dict[str, Any]) -> None:
    with pytest.raises(jsonschema.ValidationError):
        events.validate(message)


def event_offer(**data: Any) -> dict[str, Any]:
    payload = {
        "id": 4,
        "event": "snowstorm",
        "status": "accepted",
        "skills": "Snow blower",
        "ticket": 2,
        "ticket_title": "Street not ploughed",
        "ticket_url": "/tickets/2/",
        "at": "2026-01-01T00:00:00Z",
        **data,
    }
    return events.envelope(type=events.EVENT_OFFER, ticket=None, data=payload)


def test_an_event_offer_never_carries_a_contact_message_or_author() -> None:
    """`event.offer` (the event page's offers and feed): the schema refuses any private key."""
    events.validate(event_offer())
    events.validate(event_offer(ticket=None))  # an offer on the whole event
    pending = event_offer(status="pending")
    for key in ("skills", "ticket_title", "ticket_url"):
        del pending["data"][key]
    events.validate(pending)
    for private in ("contact", "message", "area", "author", "author_key", "note", "held"):
        with pytest.raises(jsonschema.ValidationError):
            events.validate(event_offer(**{private: "x"}))
    with pytest.raises(jsonschema.ValidationError):
        events.validate(event_offer(status="held"))
