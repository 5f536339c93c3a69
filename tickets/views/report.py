"""The report form: for a phone in a storm first (docs/reporting.md)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from tickets import photos as photo_processing
from tickets import services
from tickets.errors import RateLimited, ServiceError
from tickets.forms import (
    ReportForm,
    answers_from_post,
    event_problem,
    question_inputs,
    report_categories,
)
from tickets.identity import actor_from_request
from tickets.models import EmergencyEvent, ServiceType
from tickets.views.base import SeeOther
from tickets.views.maps import _map_context, leaflet_data

# --- Report form ----------------------------------------------------------------------------


def _active_event() -> EmergencyEvent | None:
    """The emergency under way (the latest started), whose categories come first."""
    now = timezone.now()
    return (
        EmergencyEvent.objects.filter(starts_at__lte=now)
        .exclude(ends_at__lte=now)
        .order_by("-starts_at")
        .first()
    )


def _report_context(
    form: ReportForm,
    data: Any,
    answer_errors: dict[str, str],
    *,
    event: EmergencyEvent | None,
    first: list[ServiceType],
    groups: list[Any],
    pending: tuple[str, list[str]] = ("", []),
    event_error: str = "",
) -> dict[str, Any]:
    types = [*first, *(stype for _, group in groups for stype in group)]
    selected = form["service_code"].value() or ""
    fieldsets = [
        {"type": stype, "rows": question_inputs(stype, data, answer_errors)}
        for stype in types
        if stype.questions.all()
    ]
    token, names = pending
    return {
        "form": form,
        "event": event,
        "event_error": event_error or " ".join(str(e) for e in form.errors.get("event", [])),
        "event_categories": first,
        "category_groups": groups,
        "fieldsets": fieldsets,
        "selected_code": selected,
        "answer_errors": answer_errors,
        "pending_token": token,
        "pending_names": names,
        "photo_slots": max(photo_processing.max_photos() - len(names), 0),
        "photo_max_bytes": photo_processing.max_bytes(),
        "map": _map_context([]),
        "leaflet": leaflet_data([]),
    }


def _new_uploads(request: HttpRequest) -> list[UploadedFile]:
    return [f for f in request.FILES.getlist("photos") if f]


@require_http_methods(["GET", "POST"])
def ticket_new(request: HttpRequest) -> HttpResponse:
    slug = (request.GET.get("event") or request.POST.get("event") or "").strip()[:80]
    event, event_error = event_problem(slug)
    first, groups = report_categories(event or _active_event())
    categories = [*first, *(stype for _, group in groups for stype in group)]
    if request.method == "GET":
        initial: dict[str, Any] = {"event": slug}
        for name in ("lat", "long", "service_code"):
            if request.GET.get(name):
                initial[name] = request.GET[name][:40]
        if request.user.is_authenticated:
            initial["display_name"] = actor_from_request(request).display_name
        form = ReportForm(initial=initial, categories=categories)
        context = _report_context(
            form, None, {}, event=event, first=first, groups=groups, event_error=event_error
        )
        return render(request, "tickets/new.html", context)

    actor = actor_from_request(request)
    form = ReportForm(request.POST, request.FILES, categories=categories)
    token = request.POST.get("pending_photos", "")[:400]
    kept = services.pending_photos(actor=actor, token=token)
    answer_errors: dict[str, str] = {}
    status = 400
    retry_after = 0
    if form.is_valid():
        data = form.cleaned_data
        stype = ServiceType.objects.filter(code=data["service_code"], active=True).first()
        chosen: EmergencyEvent | None = data["event"]
        try:
            ticket = services.ticket_create(
                actor=actor,
                title=data["title"],
                description=data["description"],
                service_code=data["service_code"],
                lat=data["lat"],
                long=data["long"],
                address=data["address"],
                event=chosen.slug if chosen is not None else None,
                anonymous=data["anonymous"],
                display_name=data["display_name"],
                answers=answers_from_post(stype, request.POST),
                contact_email=data["email"] if not actor.is_authenticated else "",
                photos=[*kept, *(data.get("photos") or [])],
            )
        except ServiceError as exc:
            status = exc.status
            retry_after = exc.retry_after if isinstance(exc, RateLimited) else 0
            _attach_error(form, exc, answer_errors)
        else:
            services.pending_forget(actor=actor, token=token)
            _thank(request, ticket)
            return SeeOther(ticket.get_absolute_url())
    # The outbox's own try (Idempotency-Key) is followed by the page's plain post, which
    # keeps the photos: keeping them twice would only store them twice.
    if "Idempotency-Key" in request.headers:
        pending = (token, [str(f.name) for f in kept])
    else:
        pending = services.pending_keep(actor=actor, uploads=_new_uploads(request), token=token)
    context = _report_context(
        form, request.POST, answer_errors, event=event, first=first, groups=groups, pending=pending
    )
    response = render(request, "tickets/new.html", context, status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def _attach_error(form: ReportForm, exc: ServiceError, answer_errors: dict[str, str]) -> None:
    message = exc.message
    if isinstance(exc, RateLimited):
        message = _("%(message)s Try again in %(seconds)s seconds.") % {
            "message": exc.message,
            "seconds": exc.retry_after,
        }
    field = exc.field or ""
    if field.startswith("answers."):
        answer_errors[field.removeprefix("answers.")] = message
        form.add_error(None, _("Please check the answers to the questions below."))
    elif field in form.fields and field not in ("event", "pending_photos"):
        form.add_error(field, message)
    else:
        form.add_error(None, message)


def _thank(request: HttpRequest, ticket: Any) -> None:
    jurisdiction = ticket.jurisdiction
    messages.success(
        request,
        _("Thank you! Report #%(id)s was sent to %(team)s (%(place)s).")
        % {
            "id": ticket.pk,
            "team": jurisdiction.team_name or jurisdiction.name,
            "place": jurisdiction.name,
        },
    )
