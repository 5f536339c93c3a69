"""The report form."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from tickets import services
from tickets.errors import RateLimited, ServiceError
from tickets.forms import (
    ReportForm,
    answers_from_post,
    question_inputs,
)
from tickets.identity import actor_from_request
from tickets.models import (
    ServiceType,
)
from tickets.views.base import SeeOther
from tickets.views.maps import _map_context, leaflet_data

# --- Report form ----------------------------------------------------------------------------


def _report_context(form: ReportForm, data: Any, answer_errors: dict[str, str]) -> dict[str, Any]:
    types = (
        ServiceType.objects.filter(active=True)
        .prefetch_related("questions")
        .order_by("group", "name")
    )
    selected = form["service_code"].value() or ""
    fieldsets = [
        {"type": stype, "rows": question_inputs(stype, data, answer_errors)}
        for stype in types
        if stype.questions.all()
    ]
    return {
        "form": form,
        "fieldsets": fieldsets,
        "selected_code": selected,
        "answer_errors": answer_errors,
        "map": _map_context([]),
        "leaflet": leaflet_data([]),
    }


@require_http_methods(["GET", "POST"])
def ticket_new(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        initial = {}
        for name in ("lat", "long", "service_code"):
            if request.GET.get(name):
                initial[name] = request.GET[name][:40]
        if request.user.is_authenticated:
            actor = actor_from_request(request)
            initial["display_name"] = actor.display_name
        form = ReportForm(initial=initial)
        return render(request, "tickets/new.html", _report_context(form, None, {}))

    form = ReportForm(request.POST, request.FILES)
    answer_errors: dict[str, str] = {}
    status = 400
    retry_after = 0
    if form.is_valid():
        data = form.cleaned_data
        stype = ServiceType.objects.filter(code=data["service_code"], active=True).first()
        try:
            ticket = services.ticket_create(
                actor=actor_from_request(request),
                title=data["title"],
                description=data["description"],
                service_code=data["service_code"],
                lat=data["lat"],
                long=data["long"],
                address=data["address"],
                anonymous=data["anonymous"],
                display_name=data["display_name"],
                answers=answers_from_post(stype, request.POST),
                photos=data.get("photos") or [],
            )
        except ServiceError as exc:
            status = exc.status
            message = exc.message
            if isinstance(exc, RateLimited):
                retry_after = exc.retry_after
                message = _("%(message)s Try again in %(seconds)s seconds.") % {
                    "message": exc.message,
                    "seconds": exc.retry_after,
                }
            field = exc.field or ""
            if field.startswith("answers."):
                answer_errors[field.removeprefix("answers.")] = message
                form.add_error(None, _("Please check the answers to the questions below."))
            elif field in form.fields:
                form.add_error(field, message)
            else:
                form.add_error(None, message)
        else:
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
            return SeeOther(ticket.get_absolute_url())
    context = _report_context(form, request.POST, answer_errors)
    response = render(request, "tickets/new.html", context, status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response
