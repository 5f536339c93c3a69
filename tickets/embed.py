"""The embeddable live widget: `/embed/?jurisdiction=…&event=…&bbox=…&lang=…` shows the
latest tickets of an area (and, for an event, its latest announcements) and keeps them live
through the public feed socket. No cookies, no session, its own small JS and CSS; only this
path may be framed (security.middleware). `lang` is the embedding page's language (the
embed script passes it); without it, the browser's."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_GET

from tickets import selectors
from tickets.filters import TicketFilter
from tickets.models import ServiceType, Ticket
from tickets.public import ticket_summary

WIDGET_SIZE = 10
WIDGET_FILTERS = ("jurisdiction", "event", "bbox", "status", "service_code")
# The jurisdiction the docs page's snippets and live preview both show.
DOCS_EXAMPLE = "old-port"


def _language(request: HttpRequest) -> str:
    """`?lang=fr` or `fr-CA` (the embedding page's `<html lang>`), if we speak it."""
    wanted = (request.GET.get("lang") or "").split("-")[0].lower()
    spoken = {code for code, _name in settings.LANGUAGES}
    return wanted if wanted in spoken else translation.get_language() or "en"


@require_GET
def widget(request: HttpRequest) -> HttpResponse:
    with translation.override(_language(request)):
        response = _widget(request)  # `render` renders now, in that language
    response.headers["Content-Language"] = _language(request)
    return response


def _widget(request: HttpRequest) -> HttpResponse:
    params = {k: request.GET[k] for k in WIDGET_FILTERS if request.GET.get(k)}
    filterset = TicketFilter(
        params, queryset=selectors.public_tickets().order_by("-created_at", "-id")
    )
    labels = {str(value): str(label) for value, label in Ticket.Status.choices}
    if not filterset.is_valid():
        errors = {field: [str(e) for e in errs] for field, errs in filterset.errors.items()}
        return render(
            request,
            "embed/widget.html",
            {"errors": errors, "tickets": [], "labels": labels},
            status=400,
        )
    language = translation.get_language()
    tickets = [
        {**ticket_summary(t, language=language), "status_label": labels.get(t.status, t.status)}
        for t in filterset.qs[:WIDGET_SIZE]
    ]
    return render(
        request,
        "embed/widget.html",
        {
            "tickets": tickets,
            "labels": labels,
            "event_slug": params.get("event", ""),
            "config": {
                "jurisdiction": params.get("jurisdiction", ""),
                "event": params.get("event", ""),
                "bbox": params.get("bbox", ""),
                "size": WIDGET_SIZE,
                "status": labels,
                # Type names in the widget's language (live rows carry only the code's).
                "services": {st.code: st.name_in(language) for st in ServiceType.objects.all()},
                "lang": language,
            },
        },
    )


@require_GET
def widget_docs(request: HttpRequest) -> HttpResponse:
    """How a news site embeds the widget, with a live preview of the same snippet."""
    base = request.build_absolute_uri("/")[:-1]
    return render(request, "embed/docs.html", {"base": base, "example": DOCS_EXAMPLE})
