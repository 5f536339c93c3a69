"""The embeddable live widget: `/embed/?jurisdiction=…&event=…&bbox=…` shows the latest
tickets of an area and keeps them live through the public feed socket. No cookies, no
session, its own small JS and CSS; only this path may be framed (security.middleware)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tickets import selectors
from tickets.filters import TicketFilter
from tickets.public import ticket_summary

WIDGET_SIZE = 10
WIDGET_FILTERS = ("jurisdiction", "event", "bbox", "status", "service_code")


@require_GET
def widget(request: HttpRequest) -> HttpResponse:
    params = {k: request.GET[k] for k in WIDGET_FILTERS if request.GET.get(k)}
    filterset = TicketFilter(
        params, queryset=selectors.public_tickets().order_by("-created_at", "-id")
    )
    if not filterset.is_valid():
        errors = {field: [str(e) for e in errs] for field, errs in filterset.errors.items()}
        return render(request, "embed/widget.html", {"errors": errors, "tickets": []}, status=400)
    tickets = [ticket_summary(t) for t in filterset.qs[:WIDGET_SIZE]]
    return render(
        request,
        "embed/widget.html",
        {
            "tickets": tickets,
            "config": {
                "jurisdiction": params.get("jurisdiction", ""),
                "event": params.get("event", ""),
                "bbox": params.get("bbox", ""),
                "size": WIDGET_SIZE,
            },
        },
    )


@require_GET
def widget_docs(request: HttpRequest) -> HttpResponse:
    """How a news site embeds the widget, with a live preview."""
    base = request.build_absolute_uri("/")[:-1]
    return render(request, "embed/docs.html", {"base": base})
