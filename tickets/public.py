"""Public representations of tickets and comments: what anyone may see. Used by the event
log, the API and the pages, so private fields can only leak through one place."""

from __future__ import annotations

from typing import Any

from django.utils.html import linebreaks, urlize

from realtime.events import iso
from tickets.models import Comment, Ticket


def render_body(text: str) -> str:
    """Plain text to safe HTML: escaped, URLs turned into nofollow links, paragraphs kept."""
    return linebreaks(urlize(text, nofollow=True, autoescape=True), autoescape=False)


def comment_public(comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.pk,
        "ticket": comment.ticket_id,
        "body": comment.body,
        "body_html": render_body(comment.body),
        "author": comment.public_author,
        # No name given: each reader says "Anonymous" in their own language (`author` holds
        # it in the writer's, as the event log keeps it).
        "anonymous": not comment.display_name,
        "official": comment.official,
        "created_at": iso(comment.created_at),
    }


def named_author(data: dict[str, Any]) -> str:
    """A comment event's author as a name, or "" when they gave none: each reader then says
    "Anonymous" in their own language (`anonymous` above)."""
    return "" if data.get("anonymous") else str(data.get("author") or "")


def ticket_summary(ticket: Ticket, *, language: str | None = None) -> dict[str, Any]:
    """`language`: the type's name in it (a page's widget); without it, the canonical name
    (the event log and the API: a socket's readers name the type from its code)."""
    service = ticket.service_type
    return {
        "id": ticket.pk,
        "title": ticket.title,
        "description": ticket.description,
        "status": ticket.status,
        "service_code": service.code,
        "service_name": service.name_in(language) if language else service.name,
        "jurisdiction": ticket.jurisdiction.slug,
        "event": ticket.emergency_slug,
        "lat": ticket.lat,
        "long": ticket.long,
        "address": ticket.address,
        "reporter": ticket.public_reporter,
        "url": ticket.get_absolute_url(),
        "created_at": iso(ticket.created_at),
    }
