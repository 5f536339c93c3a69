"""The ticket page, and the buttons it refetches live."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from realtime import counters
from tickets import permissions, selectors, services
from tickets.forms import (
    photos_field,
)
from tickets.identity import Actor, actor_from_request
from tickets.models import (
    Comment,
    Follow,
    Identity,
    Photo,
    ServiceQuestion,
    StatusChange,
    Thanks,
    Ticket,
    Vote,
)
from tickets.views.maps import _map_context, leaflet_data
from tickets.views.takedown import takedown_notice

# --- Ticket page ----------------------------------------------------------------------------


def _existing_identity_id(actor: Actor) -> int | None:
    """The viewer's Identity pk if they already have one; a page view never creates one."""
    return Identity.objects.filter(key=actor.key).values_list("pk", flat=True).first()


def _public_answers(ticket: Ticket, *, show_private: bool) -> list[dict[str, Any]]:
    answers = ticket.answers or {}
    rows = []
    for question in ticket.service_type.questions.all():
        if question.code not in answers or (question.private and not show_private):
            continue
        value = answers[question.code]
        names = {str(v.get("key")): v["name"] for v in question.local_values}
        if question.datatype in (ServiceQuestion.Datatype.SINGLE, ServiceQuestion.Datatype.MULTI):
            values = value if isinstance(value, list) else [value]
            shown = ", ".join(str(names.get(str(v), v)) for v in values)
        else:
            shown = str(value)
        rows.append({"question": question, "value": shown, "private": question.private})
    return rows


def _timeline(comments: list[Comment], changes: list[StatusChange]) -> list[dict[str, Any]]:
    """Comments and status changes (with the agent's note) in one list, oldest first."""
    rows: list[dict[str, Any]] = [
        {"kind": "comment", "at": c.created_at, "item": c} for c in comments
    ]
    rows += [{"kind": "status", "at": c.at, "item": c} for c in changes]
    rows.sort(key=lambda row: row["at"])
    return rows


def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_from_request(request)
    identity_id = _existing_identity_id(actor)
    user = request.user
    # Takedown: a hidden ticket is a 404 for the public; its reporter and moderators see it.
    ticket = selectors.ticket_get_for(pk, user=user, identity_id=identity_id)
    if ticket is None:
        raise Http404(_("No such ticket."))
    if ticket.visibility == Ticket.Visibility.HIDDEN:
        messages.warning(request, takedown_notice())
    services.ticket_view(ticket_id=ticket.pk, visitor_key=actor.key)
    is_agent = permissions.is_agent_for(user, ticket.jurisdiction_id)
    may_moderate = permissions.is_moderator_for(user, ticket.jurisdiction_id)
    comments = list(selectors.comments_for(ticket, user=user, identity_id=identity_id))
    reacted = {"follow": False, "vote": False, "thanks": False}
    if identity_id is not None:
        for kind, model in (("follow", Follow), ("vote", Vote), ("thanks", Thanks)):
            reacted[kind] = model.objects.filter(ticket=ticket, identity_id=identity_id).exists()
    context = {
        "ticket": ticket,
        "jurisdiction": ticket.jurisdiction,
        "answers": _public_answers(ticket, show_private=is_agent),
        "comments": comments,
        "is_agent": is_agent,
        "actions": permissions.allowed_actions(user, identity_id, ticket),
        "may_act": bool(permissions.possible_actions(user, identity_id, ticket)),
        "reacted": reacted,
        "views": ticket.views + counters.pending_views(ticket.pk),
        "timeline": _timeline(comments, list(ticket.status_changes.all())),
        "may_moderate": may_moderate,
        # A taken-down ticket stays readable by its reporter and its moderators (takedown).
        "may_see_hidden": may_moderate
        or (identity_id is not None and identity_id == ticket.reporter_id),
        "emergency": ticket.event,
        "map": _map_context([ticket]),
        "leaflet": leaflet_data([ticket]),
        "photos": [p for p in ticket.photos.all() if p.comment_id is None],
        "comment_photos": _comment_photos(ticket, comments),
        "photo_field": photos_field(),
    }
    return render(request, "tickets/detail.html", context)


@require_http_methods(["GET"])
def ticket_actions(request: HttpRequest, pk: int) -> HttpResponse:
    """Just the transition buttons for this viewer: what the live page fetches after a status
    change, instead of re-rendering the whole page (and counting a view) for every watcher."""
    identity_id = _existing_identity_id(actor_from_request(request))
    ticket = selectors.ticket_get_for(pk, user=request.user, identity_id=identity_id)
    if ticket is None:
        raise Http404(_("No such ticket."))
    context = {
        "ticket": ticket,
        "actions": permissions.allowed_actions(request.user, identity_id, ticket),
        "may_act": bool(permissions.possible_actions(request.user, identity_id, ticket)),
    }
    return render(request, "tickets/_actions.html", context)


def _comment_photos(ticket: Ticket, comments: list[Comment]) -> dict[int, list[Photo]]:
    """Photos of the shown comments, by comment id (one query)."""
    shown = {c.pk for c in comments}
    by_comment: dict[int, list[Photo]] = {}
    for photo in Photo.objects.filter(ticket=ticket, comment__isnull=False):
        if photo.comment_id in shown:
            by_comment.setdefault(photo.comment_id, []).append(photo)
    return by_comment
