"""Pages: the moderators' live dashboard (`/moderation/`) and an emergency event's public page
(`/events/<slug>/`). Both render server-side and then stay live through a WebSocket
(`static/js/moderation.js`); actions go through the JSON API."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_POST

from moderation import permissions, selectors, services
from moderation.forms import OfferForm
from tickets.errors import InvalidInput, ServiceError
from tickets.identity import actor_from_request
from tickets.models import Ticket


@ensure_csrf_cookie
def dashboard(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not permissions.is_moderator(request.user):
        raise PermissionDenied(_("Only agents, trusted volunteers and admins can moderate."))
    items = selectors.queue(user=request.user, limit=100)
    recent = selectors.audit_log(user=request.user)[:20]
    context = {
        "items": items,
        "recent": recent,
        "threshold": selectors.moderation_settings()["HIDE_THRESHOLD"],
        "can_grant_trust": permissions.can_grant_trust(request.user),
    }
    return render(request, "moderation/dashboard.html", context)


@require_POST
def ticket_offer(request: HttpRequest, pk: int) -> HttpResponse:
    """The ticket page's "offer help" form; the JSON API does the same for apps."""
    if not Ticket.objects.filter(pk=pk).exists():
        raise Http404(_("No such ticket."))
    form = OfferForm(request.POST)
    try:
        if not form.is_valid():
            raise InvalidInput(form.first_error())
        offer = services.offer_create(
            actor=actor_from_request(request), ticket_id=pk, **form.cleaned_data
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Thank you! Your offer is awaiting review by the city.")
            if offer.status != "accepted"
            else _("Thank you for helping!"),
        )
    response = HttpResponseRedirect(f"/tickets/{pk}/#offers-title")
    response.status_code = 303
    return response


def ticket_offers(request: HttpRequest, pk: int) -> HttpResponse:
    """The ticket page's offers card alone: what the live page fetches on offer events."""
    ticket = Ticket.objects.filter(pk=pk).first()
    if ticket is None:
        raise Http404(_("No such ticket."))
    context = {"ticket": ticket, "helping": selectors.public_offers(ticket).count()}
    return render(request, "moderation/_ticket_offers.html", context)
