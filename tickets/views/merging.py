"""Casework on the ticket page: the "Merge into…" and "Unmerge" forms of `_merge.html`."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tickets import services
from tickets.errors import ServiceError
from tickets.identity import actor_from_request
from tickets.views.actions import _back_to, _report_error


@require_POST
def ticket_merge(request: HttpRequest, pk: int) -> HttpResponse:
    into = request.POST.get("into", "").strip().lstrip("#")
    try:
        ticket = services.ticket_merge(
            actor=actor_from_request(request),
            ticket_id=pk,
            into=into,
            note=request.POST.get("note", ""),
        )
    except ServiceError as exc:
        _report_error(request, exc)
        return _back_to(pk, "#merge")
    messages.success(
        request,
        _("Merged: this ticket is now a duplicate of #%(id)s.") % {"id": ticket.duplicate_of_id},
    )
    return _back_to(pk)


@require_POST
def ticket_unmerge(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.ticket_unmerge(
            actor=actor_from_request(request), ticket_id=pk, note=request.POST.get("note", "")
        )
    except ServiceError as exc:
        _report_error(request, exc)
        return _back_to(pk, "#merge")
    messages.success(request, _("Unmerged: this ticket stands on its own again."))
    return _back_to(pk)
