"""Pages behind the links in e-mail (no login needed: the signed token is the key) and the
area-alert form. A GET never changes anything (mail scanners follow links); the change is
the POST of the page's button, or the mail client's RFC 8058 one-click POST."""

from __future__ import annotations

import math
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from notifications import dispatch, inapp, links, verification
from notifications.forms import AlertForm, PreferencesForm, ReopenForm
from notifications.models import AreaSubscription, FixCheck, Notification, NotificationPreference
from notifications.recipients import verified_email
from tickets import ratelimit, services
from tickets.errors import RateLimited, ServiceError
from tickets.identity import Actor, actor_from_request
from tickets.models import Identity, Ticket
from tickets.permissions import is_agent
from tickets.views.maps import leaflet_data

ALERT_SUBSCRIBE_LIMIT = (5, 3600)  # per network address: confirmation mail is not a weapon


class SignedInRequest(HttpRequest):
    """The request of a `login_required` view: its user is signed in."""

    user: User


def _page(
    request: HttpRequest, *, title: str, message: str = "", status: int = 200, **extra: Any
) -> HttpResponse:
    context = {"title": title, "message": message, **extra}
    return render(request, "notifications/page.html", context, status=status)


def _bad_link(request: HttpRequest) -> HttpResponse:
    return _page(
        request,
        title=_("This link does not work"),
        message=_("It is damaged or has expired. Nothing was changed."),
        status=400,
    )


# --- Area alerts -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def alerts(request: HttpRequest) -> HttpResponse:
    form = AlertForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        actor = actor_from_request(request)
        try:
            limit, window = ALERT_SUBSCRIBE_LIMIT
            ratelimit.hit(scope="alert", key=actor.ip_hash, limit=limit, window=window)
        except RateLimited as exc:
            form.add_error(None, str(exc))
        else:
            data = form.cleaned_data
            bbox = data["bbox"] or (None, None, None, None)
            with transaction.atomic():
                sub = AreaSubscription.objects.create(
                    email=data["email"],
                    jurisdiction=data["jurisdiction"],
                    min_long=bbox[0],
                    min_lat=bbox[1],
                    max_long=bbox[2],
                    max_lat=bbox[3],
                    language=translation.get_language() or "",
                )
                sub.service_types.set(data["service_types"])
                dispatch.send_alert_confirmation(sub)
            # The same answer whether or not the address already had alerts.
            return _page(
                request,
                title=_("Check your inbox"),
                message=_(
                    "We sent a confirmation link. Alerts start once you click it; if you do "
                    "not, nothing more is sent."
                ),
            )
    return render(request, "notifications/alerts.html", _alerts_context(request, form))


def _alerts_context(request: HttpRequest, form: AlertForm) -> dict[str, Any]:
    """The map that chooses the area: pre-centred on `?lat=…&long=…` (a ticket's "alert me
    about this street" link), else on the area already typed, else on every jurisdiction."""
    centre = None
    try:
        lat, long = float(request.GET.get("lat", "")), float(request.GET.get("long", ""))
    except ValueError:
        pass
    else:
        if math.isfinite(lat) and math.isfinite(long) and -90 <= lat <= 90 and -180 <= long <= 180:
            centre = {"lat": lat, "long": long}
    leaflet = leaflet_data([], label=_("Map of the alert area"))
    leaflet["centre"] = centre
    return {"form": form, "leaflet": leaflet}


def _subscription(token: str, salt: str, max_age: int | None = None) -> AreaSubscription | None:
    values = links.read(token, salt, max_age=max_age)
    pk = None if values is None else values.get("s")
    if pk is None:
        return None
    return AreaSubscription.objects.select_related("jurisdiction").filter(pk=pk).first()


@require_http_methods(["GET", "POST"])
def alert_confirm(request: HttpRequest, token: str) -> HttpResponse:
    sub = _subscription(token, links.ALERT_CONFIRM, links.ALERT_CONFIRM_MAX_AGE)
    if sub is None or sub.unsubscribed_at is not None:
        return _bad_link(request)
    if request.method == "POST" or sub.confirmed_at is not None:
        if sub.confirmed_at is None:
            AreaSubscription.objects.filter(pk=sub.pk, confirmed_at__isnull=True).update(
                confirmed_at=timezone.now()
            )
            verification.mark_verified(email=sub.email)  # the link proved the address
        return _page(
            request,
            title=_("Alerts confirmed"),
            message=_("You will get an e-mail for each new ticket in %(area)s.")
            % {"area": sub.describe()},
            done=True,
        )
    return _page(
        request,
        title=_("Confirm your alerts"),
        message=_("Send me an e-mail for each new ticket in %(area)s.") % {"area": sub.describe()},
        button=_("Confirm"),
    )


@csrf_exempt  # RFC 8058: the mail client POSTs without a token; the signed link is the key
@require_http_methods(["GET", "POST"])
def alert_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    sub = _subscription(token, links.ALERT_UNSUBSCRIBE)
    if sub is None:
        return _bad_link(request)
    if request.method == "POST":
        AreaSubscription.objects.filter(pk=sub.pk, unsubscribed_at__isnull=True).update(
            unsubscribed_at=timezone.now()
        )
        return _page(
            request,
            title=_("Unsubscribed"),
            message=_("You will get no more alerts for %(area)s.") % {"area": sub.describe()},
            done=True,
        )
    return _page(
        request,
        title=_("Stop these alerts?"),
        message=_("Stop the e-mail alerts for new tickets in %(area)s.") % {"area": sub.describe()},
        button=_("Unsubscribe"),
        csrf_exempt_form=True,
    )


# --- Follower updates --------------------------------------------------------------------------


@csrf_exempt  # RFC 8058 one-click: the mail client POSTs without a CSRF token
@require_http_methods(["GET", "POST"])
def unfollow(request: HttpRequest, token: str) -> HttpResponse:
    values = links.read(token, links.FOLLOW_UNSUBSCRIBE) or {}
    identity_id, ticket_id = values.get("i"), values.get("t")
    if identity_id is None or ticket_id is None:
        return _bad_link(request)
    identity = Identity.objects.select_related("user").filter(pk=identity_id).first()
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if identity is None or ticket is None:
        return _bad_link(request)
    if request.method == "POST":
        actor = Actor(user=identity.user, _identity=identity)
        services.ticket_unfollow(actor=actor, ticket_id=ticket.pk)
        return _page(
            request,
            title=_("Unsubscribed"),
            message=_("You will get no more e-mail about ticket #%(id)s.") % {"id": ticket.pk},
            ticket=ticket,
            done=True,
        )
    return _page(
        request,
        title=_("Stop e-mail about this ticket?"),
        message=_("Stop following ticket #%(id)s “%(title)s”.")
        % {"id": ticket.pk, "title": ticket.title},
        ticket=ticket,
        button=_("Unsubscribe"),
        csrf_exempt_form=True,
    )


# --- "Is it fixed?" -------------------------------------------------------------------------


def _check(token: str) -> FixCheck | None:
    values = links.read(token, links.IS_IT_FIXED, max_age=links.IS_IT_FIXED_MAX_AGE)
    pk = None if values is None else values.get("c")
    if pk is None:
        return None
    return FixCheck.objects.select_related("ticket__reporter__user").filter(pk=pk).first()


def _answered(request: HttpRequest, check: FixCheck) -> HttpResponse:
    message = (
        _("Thank you: you confirmed that it is fixed.")
        if check.answer == FixCheck.Answer.YES
        else _("Thank you: the ticket was reopened with your note.")
    )
    return _page(request, title=_("Thank you"), message=message, ticket=check.ticket, done=True)


@require_http_methods(["GET", "POST"])
def fixed_yes(request: HttpRequest, token: str) -> HttpResponse:
    check = _check(token)
    if check is None:
        return _bad_link(request)
    if check.answer:
        return _answered(request, check)
    if request.method == "POST":
        FixCheck.objects.filter(pk=check.pk, answer="").update(
            answer=FixCheck.Answer.YES, answered_at=timezone.now()
        )
        check.refresh_from_db()
        return _answered(request, check)
    return _page(
        request,
        title=_("Is it fixed?"),
        message=_("Confirm that ticket #%(id)s “%(title)s” is fixed.")
        % {"id": check.ticket_id, "title": check.ticket.title},
        ticket=check.ticket,
        button=_("Yes, it is fixed"),
    )


@require_http_methods(["GET", "POST"])
def fixed_no(request: HttpRequest, token: str) -> HttpResponse:
    check = _check(token)
    if check is None:
        return _bad_link(request)
    if check.answer:
        return _answered(request, check)
    form = ReopenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reporter = check.ticket.reporter
        actor = Actor(user=reporter.user, _identity=reporter)
        note = form.cleaned_data["note"]
        try:
            with transaction.atomic():
                services.ticket_transition(
                    actor=actor, ticket_id=check.ticket_id, action="reopen", note=note
                )
                FixCheck.objects.filter(pk=check.pk).update(
                    answer=FixCheck.Answer.NO, answered_at=timezone.now(), note=note
                )
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            check.refresh_from_db()
            return _answered(request, check)
    return _page(
        request,
        title=_("Not fixed?"),
        message=_(
            "Tell us what is still wrong with ticket #%(id)s “%(title)s”: it will be reopened with your note."
        )
        % {"id": check.ticket_id, "title": check.ticket.title},
        ticket=check.ticket,
        form=form,
        button=_("Reopen the ticket"),
    )


# --- The bell's page -------------------------------------------------------------------------


@login_required
def inbox(request: SignedInRequest) -> HttpResponse:
    items = list(Notification.objects.filter(user=request.user).select_related("ticket")[:100])
    return render(
        request,
        "notifications/inbox.html",
        {"notifications": items, "unread": inapp.unread_count(request.user.pk)},
    )


@login_required
@require_POST
def inbox_read(request: SignedInRequest) -> HttpResponse:
    inapp.mark_read(request.user)
    return HttpResponseRedirect(reverse("notifications:inbox"))


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: SignedInRequest) -> HttpResponse:
    """Each person chooses for themselves; agents also choose between new tickets at once,
    a daily digest, or nothing."""
    current = NotificationPreference.objects.filter(user=request.user).first()
    instance = current or NotificationPreference(user=request.user)
    form = PreferencesForm(request.POST or None, instance=instance, agent=is_agent(request.user))
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your notification preferences are saved."))
        response = HttpResponseRedirect(reverse("notifications:preferences"))
        response.status_code = 303
        return response
    address = request.user.email
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, "unverified": bool(address) and not verified_email(request.user)},
        status=400 if form.errors else 200,
    )
