"""Emergency pages: the public event page (`/events/<slug>/`, the hub: rules, tickets,
offers, announcements, live) and the console's event form (declare, edit, end). The form
posts plainly (no script needed); the write layer decides and its errors name the field."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_POST

from moderation import event_hub, permissions, selectors, services
from moderation.event_forms import EventForm, initial_of
from moderation.services.announcements import BODY_MAX
from tickets import selectors as ticket_selectors
from tickets.errors import InvalidInput, NotFound, ServiceError
from tickets.identity import actor_from_request
from tickets.models import EmergencyEvent, Jurisdiction, ServiceType, Ticket
from tickets.services import clean_text


def _see_other(url: str) -> HttpResponse:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _event(slug: str) -> EmergencyEvent:
    emergency = EmergencyEvent.objects.select_related("jurisdiction").filter(slug=slug).first()
    if emergency is None:
        raise Http404(_("No such event."))
    return emergency


@ensure_csrf_cookie
def emergency_page(request: HttpRequest, slug: str) -> HttpResponse:
    emergency = _event(slug)
    tickets = list(
        ticket_selectors.public_tickets()  # a taken-down ticket is not listed
        .filter(event=emergency)
        .select_related("service_type", "jurisdiction")
        .order_by("-created_at", "-id")[:100]
    )
    user = request.user
    # Who moderates this event's place: announces, and sees the offers awaiting review.
    moderator = permissions.is_moderator(user) and permissions.can_moderate_jurisdiction(
        user, emergency.jurisdiction_id
    )
    context = {
        "emergency": emergency,
        "tickets": tickets,
        "active": emergency.is_active(),
        "announcements": list(selectors.announcements(emergency)[:20]),
        "offers": event_hub.event_offers(emergency, moderator=moderator),
        "activity": event_hub.activity(emergency),
        "activity_keep": event_hub.ACTIVITY_KEEP,
        "can_announce": moderator,
        "moderator": moderator,
        "can_edit": permissions.can_declare_emergency(user)
        and permissions.can_moderate_jurisdiction(user, emergency.jurisdiction_id),
        "labels": _labels(),
    }
    return render(request, "moderation/event.html", context)


def _labels() -> dict[str, Any]:
    """What live rows and feed entries show, in the page's language: status labels, place and
    type names (the socket carries codes and slugs), the offers' and the feed's sentences."""
    return {
        "status": {str(value): str(label) for value, label in Ticket.Status.choices},
        "jurisdiction": dict(Jurisdiction.objects.values_list("slug", "name")),
        "service": {t.code: t.local_name for t in ServiceType.objects.all()},
        **event_hub.sentences(),
    }


@require_POST
def event_announce(request: HttpRequest, slug: str) -> HttpResponse:
    """The announcement form without a script (the page's script posts to the API)."""
    _event(slug)
    try:
        services.announcement_create(
            actor=actor_from_request(request),
            event=slug,
            body=clean_text(request.POST.get("body", ""), field="body", max_length=BODY_MAX),
        )
    except ServiceError as exc:
        if exc.status == 403:
            raise PermissionDenied(exc.message) from None
        messages.error(request, exc.message)
    return _see_other(f"/events/{slug}/")


def _declarer(request: HttpRequest) -> HttpResponse | None:
    """A login page for strangers, 403 for those who may not declare events."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not permissions.can_declare_emergency(request.user):
        raise PermissionDenied(_("Only agents and admins can declare an emergency event."))
    return None


def _apply(form: EventForm, error: ServiceError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


def _form_page(
    request: HttpRequest, form: EventForm, emergency: EmergencyEvent | None
) -> HttpResponse:
    context: dict[str, Any] = {"form": form, "emergency": emergency}
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "moderation/event_form_page.html", context, status=status)


@ensure_csrf_cookie
def event_new(request: HttpRequest) -> HttpResponse:
    refused = _declarer(request)
    if refused is not None:
        return refused
    if request.method != "POST":
        return _form_page(request, EventForm(user=request.user), None)
    form = EventForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            emergency = services.emergency_create(
                actor=actor_from_request(request),
                slug=form.cleaned_data["slug"],
                **form.service_arguments(),
            )
        except (InvalidInput, NotFound) as exc:
            _apply(form, exc)
        except ServiceError as exc:  # 403, 409: said on the form, nothing changed
            _apply(form, InvalidInput(exc.message, field="slug" if exc.status == 409 else None))
        else:
            return _see_other(f"/events/{emergency.slug}/")
    return _form_page(request, form, None)


@ensure_csrf_cookie
def event_edit(request: HttpRequest, slug: str) -> HttpResponse:
    refused = _declarer(request)
    if refused is not None:
        return refused
    emergency = _event(slug)
    if not permissions.can_moderate_jurisdiction(request.user, emergency.jurisdiction_id):
        raise PermissionDenied(_("Only this area's agents and admins can do this."))
    if request.method != "POST":
        form = EventForm(initial=initial_of(emergency), user=request.user, editing=True)
        return _form_page(request, form, emergency)
    data = request.POST.copy()
    data["slug"] = emergency.slug
    form = EventForm(data, initial=initial_of(emergency), user=request.user, editing=True)
    if form.is_valid():
        try:
            services.emergency_update(
                actor=actor_from_request(request), slug=slug, **form.service_arguments()
            )
        except ServiceError as exc:
            _apply(form, exc)
        else:
            return _see_other(f"/events/{emergency.slug}/")
    return _form_page(request, form, emergency)


@require_POST
def event_end(request: HttpRequest, slug: str) -> HttpResponse:
    refused = _declarer(request)
    if refused is not None:
        return refused
    _event(slug)
    try:
        services.emergency_end(actor=actor_from_request(request), slug=slug)
    except ServiceError as exc:
        if exc.status == 403:
            raise PermissionDenied(exc.message) from None
        # 409: already ended; the page says so.
    return _see_other(f"/events/{slug}/")
