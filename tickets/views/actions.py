"""What the ticket page posts: comments, reactions and transitions."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tickets import selectors, services
from tickets.errors import NotFound, RateLimited, ServiceError
from tickets.identity import actor_from_request
from tickets.models import (
    Comment,
)
from tickets.views.base import SeeOther


def _back_to(ticket_id: int, anchor: str = "") -> SeeOther:
    return SeeOther(reverse("ticket-detail", args=[ticket_id]) + anchor)


def _report_error(request: HttpRequest, exc: ServiceError) -> None:
    if isinstance(exc, NotFound):
        raise Http404(exc.message)
    if isinstance(exc, RateLimited):
        messages.error(
            request,
            _("%(message)s Try again in %(seconds)s seconds.")
            % {"message": exc.message, "seconds": exc.retry_after},
        )
        return
    messages.error(request, exc.message)


@require_POST
def ticket_comment(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_from_request(request)
    try:
        comment = services.comment_create(
            actor=actor,
            ticket_id=pk,
            body=request.POST.get("body", ""),
            photos=request.FILES.getlist("photos"),
        )
    except ServiceError as exc:
        _report_error(request, exc)
        return _back_to(pk, "#comment-form")
    if comment.visibility == Comment.Visibility.HELD:
        messages.info(request, _("Thanks! Your comment will appear once a moderator reviews it."))
    else:
        messages.success(request, _("Your comment is posted."))
    return _back_to(pk, f"#comment-{comment.pk}")


# Lazy: these are built once, at import, and said in each request's language.
REACTION_MESSAGES = {
    "follow": gettext_lazy("You follow this ticket."),
    "unfollow": gettext_lazy("You no longer follow this ticket."),
    "vote": gettext_lazy("Counted: you have this problem too."),
    "thanks": gettext_lazy("Your thanks were sent."),
}


@require_POST
def ticket_react(request: HttpRequest, pk: int) -> HttpResponse:
    kind = request.POST.get("kind", "")
    if kind not in ("follow", "unfollow", "vote", "thanks"):
        messages.error(request, _("Unknown action."))
        return _back_to(pk)
    actor = actor_from_request(request)
    try:
        if kind == "unfollow":
            services.ticket_unfollow(actor=actor, ticket_id=pk)
        else:
            services.ticket_react(actor=actor, ticket_id=pk, kind=kind)
    except ServiceError as exc:
        _report_error(request, exc)
        return _back_to(pk)
    messages.success(request, str(REACTION_MESSAGES[kind]))
    return _back_to(pk)


TRANSITION_MESSAGES = {
    "acknowledge": gettext_lazy("The ticket is acknowledged."),
    "close": gettext_lazy("The ticket is closed."),
    "reopen": gettext_lazy("The ticket is reopened."),
}


@require_POST
def ticket_transition(request: HttpRequest, pk: int) -> HttpResponse:
    if selectors.ticket_get(pk) is None:
        raise Http404(_("No such ticket."))
    action = request.POST.get("action", "")
    actor = actor_from_request(request)
    # The reply box posts its text as `body`: with a status choice it is the change's note.
    note = request.POST.get("note") or request.POST.get("body", "")
    try:
        services.ticket_transition(actor=actor, ticket_id=pk, action=action, note=note)
    except ServiceError as exc:
        _report_error(request, exc)
        return _back_to(pk, "#comment-form")
    messages.success(request, str(TRANSITION_MESSAGES[action]))
    return _back_to(pk)
