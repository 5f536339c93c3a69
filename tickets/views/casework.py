"""What the ticket page's casework panel posts (staff of the ticket's jurisdiction only):
assignment, internal notes, priority and due date, edit and reroute. Without JavaScript the
page reloads; with it, every open copy also updates live from the socket (casework.js)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tickets import permissions, selectors, services
from tickets.dashboard import assign_target
from tickets.errors import InvalidInput, ServiceError
from tickets.identity import actor_from_request
from tickets.views.base import SeeOther


def _due_at(raw: str) -> datetime | None:
    """A `datetime-local` value in the current time zone; blank clears the due date."""
    if not raw.strip():
        return None
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput(_("Enter a date and time."), field="due_at") from None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _edit_fields(post: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name in ("title", "description", "service_code", "jurisdiction"):
        if post.get(name) not in (None, ""):
            fields[name] = post[name]
    if "description" in post and post["description"] == "":
        fields["description"] = ""
    for name, bound in (("lat", 90.0), ("long", 180.0)):
        if post.get(name) not in (None, ""):
            fields[name] = services.parse_coordinate(post[name], field=name, bound=bound)
    return fields


@require_POST
def ticket_casework(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = selectors.ticket_get(pk)
    if ticket is None:
        raise Http404
    if not permissions.can_do_casework(request.user, ticket):
        raise PermissionDenied(_("Only staff of the ticket's jurisdiction can do this."))
    actor = actor_from_request(request)
    op = request.POST.get("op", "")
    anchor = "#casework"
    try:
        if op == "assign":
            assignee, team = assign_target(request.POST.get("assign_to", ""))
            services.ticket_assign(actor=actor, ticket_id=pk, assignee=assignee, team=team)
        elif op == "note":
            services.note_create(actor=actor, ticket_id=pk, body=request.POST.get("body", ""))
            anchor = "#notes"
        elif op == "priority":
            services.ticket_edit(
                actor=actor,
                ticket_id=pk,
                priority=request.POST.get("priority") or None,
                due_at=_due_at(request.POST.get("due_at", "")),
            )
        elif op == "edit":
            services.ticket_edit(actor=actor, ticket_id=pk, **_edit_fields(request.POST))
        else:
            messages.error(request, _("Unknown casework action."))
    except ServiceError as exc:
        messages.error(request, exc.message)
    return SeeOther(reverse("ticket-detail", args=[pk]) + anchor)
