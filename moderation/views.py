"""Pages: the moderators' live dashboard (`/moderation/`) and an emergency event's public page
(`/events/<slug>/`). Both render server-side and then stay live through a WebSocket
(`static/js/moderation.js`); actions go through the JSON API."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_POST

from moderation import permissions, selectors, services
from moderation.forms import OFFER_RESULT, OfferForm
from moderation.models import Flag, Offer
from tickets.errors import InvalidInput, ServiceError
from tickets.identity import actor_from_request
from tickets.models import Ticket


def _require_moderator(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not permissions.is_moderator(request.user):
        raise PermissionDenied(_("Only agents, trusted volunteers and admins can moderate."))
    return None


AUDIT_PAGE = 20


@ensure_csrf_cookie
def dashboard(request: HttpRequest) -> HttpResponse:
    """The console: the queue, offers, sanctions, events, the live activity, the audit log.
    Rendered here, then kept live by static/js/moderation.js (items come back through the
    fragment views below, so the page and the live updates share one template each)."""
    refused = _require_moderator(request)
    if refused is not None:
        return refused
    user = request.user
    context = {
        "items": selectors.queue(user=user, limit=100),
        "offers": selectors.pending_offers(user=user),
        "sanctions": selectors.active_sanction_list(),
        "sanction_kinds": SANCTION_KINDS,
        "durations": DURATIONS,
        "max_minutes": services.SANCTION_MAX_MINUTES,
        **_audit_page(request, 0),
        "threshold": selectors.moderation_settings()["HIDE_THRESHOLD"],
        "can_grant_trust": permissions.can_grant_trust(user),
        # Declaring, editing and ending events: agents and admins only (not volunteers).
        "can_declare": permissions.can_declare_emergency(user),
        "events": selectors.console_events(user=user),
    }
    return render(request, "moderation/dashboard.html", context)


SANCTION_KINDS = (
    ("mute", gettext_lazy("Mute")),
    ("ban", gettext_lazy("Ban")),
    ("shadowban", gettext_lazy("Shadow-ban")),
)
DURATIONS = (
    ("60", gettext_lazy("1 hour")),
    ("1440", gettext_lazy("24 hours")),
    ("10080", gettext_lazy("7 days")),
    ("custom", gettext_lazy("Custom (minutes)")),
    ("", gettext_lazy("Permanent (ban, shadow-ban)")),
)


def _audit_page(request: HttpRequest, offset: int) -> dict[str, Any]:
    entries = list(selectors.audit_log(user=request.user)[offset : offset + AUDIT_PAGE + 1])
    more = len(entries) > AUDIT_PAGE
    return {
        "audit": entries[:AUDIT_PAGE],
        "audit_next": offset + AUDIT_PAGE if more else None,
    }


def queue_item(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """One queue item as the console shows it (404 when it left the queue)."""
    refused = _require_moderator(request)
    if refused is not None:
        return refused
    item = selectors.queue_item(user=request.user, kind=kind, pk=pk)
    if item is None:
        raise Http404(_("Not in the queue."))
    return render(request, "moderation/_queue_item.html", {"item": item})


def offer_item(request: HttpRequest, pk: int) -> HttpResponse:
    """One offer of the console's offer queue (404 once it is no longer pending or under way)."""
    refused = _require_moderator(request)
    if refused is not None:
        return refused
    offer = next((o for o in selectors.pending_offers(user=request.user) if o.pk == pk), None)
    if offer is None:
        raise Http404(_("No such offer."))
    return render(request, "moderation/_offer_item.html", {"offer": offer})


def sanction_list(request: HttpRequest) -> HttpResponse:
    """The active sanctions, as the console lists them (refetched when one changes)."""
    refused = _require_moderator(request)
    if refused is not None:
        return refused
    context = {"sanctions": selectors.active_sanction_list()}
    return render(request, "moderation/_sanction_list.html", context)


def audit_page(request: HttpRequest) -> HttpResponse:
    """The next page of the audit log (`?offset=`), for the console's "Older entries"."""
    refused = _require_moderator(request)
    if refused is not None:
        return refused
    try:
        offset = max(0, min(int(request.GET.get("offset", "0")), 2**31))
    except ValueError:
        offset = 0
    return render(request, "moderation/_audit_page.html", _audit_page(request, offset))


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
        _offer_result(request, ok=False, text=exc.message)
    else:
        text = (
            _("Thank you! Your offer is awaiting review by the city.")
            if offer.status != "accepted"
            else _("Thank you for helping!")
        )
        _offer_result(request, ok=True, text=text)
    return _back_to_offers(pk)


def _offer_result(request: HttpRequest, *, ok: bool, text: str) -> None:
    """Shown once, inside the offers card, right where the redirect lands (issue 18: the
    site-wide message at the top of the page was scrolled past by the card's anchor)."""
    request.session[OFFER_RESULT] = {"ok": ok, "text": str(text)}


def _back_to_offers(pk: int) -> HttpResponse:
    response = HttpResponseRedirect(f"/tickets/{pk}/#offer-result")
    response.status_code = 303
    return response


@require_POST
def offer_flag(request: HttpRequest, pk: int, offer_id: int) -> HttpResponse:
    """The offers card's "flag" form (the JSON API: `POST /api/v1/offers/{id}/flag/`). A
    reason not in the list is a 400 that shows the form again with the error on `reason`."""
    offer = Offer.objects.select_related("ticket").filter(pk=offer_id, ticket_id=pk).first()
    if offer is None or offer.ticket is None:
        raise Http404(_("No such offer."))
    try:
        services.flag_offer(
            actor=actor_from_request(request),
            offer_id=offer_id,
            reason=request.POST.get("reason", ""),
        )
    except InvalidInput as exc:
        if exc.field != "reason":
            _offer_result(request, ok=False, text=exc.message)
            return _back_to_offers(pk)
        context = {
            "ticket": offer.ticket,
            "offer_id": offer_id,
            "error": _("Choose what is wrong from the list."),
            "flag_reasons": Flag.Reason.choices,
        }
        return render(request, "moderation/offer_flag_page.html", context, status=400)
    except ServiceError as exc:
        _offer_result(request, ok=False, text=exc.message)
    else:
        _offer_result(request, ok=True, text=_("Thank you: a moderator will look at it."))
    return _back_to_offers(pk)


def ticket_offers(request: HttpRequest, pk: int) -> HttpResponse:
    """The ticket page's offers card alone: what the live page fetches on offer events."""
    ticket = Ticket.objects.filter(pk=pk).first()
    if ticket is None:
        raise Http404(_("No such ticket."))
    offers = list(selectors.public_offers(ticket))
    context = {
        "ticket": ticket,
        "helping": len(offers),
        "public_offers": offers,
        "flag_reasons": Flag.Reason.choices,
    }
    return render(request, "moderation/_ticket_offers.html", context)
