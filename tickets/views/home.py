"""The home page: the filtered, paginated list of tickets and their map."""

from __future__ import annotations

from django import forms as django_forms
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from tickets import selectors
from tickets.filters import TicketFilter
from tickets.models import (
    Comment,
    Jurisdiction,
)
from tickets.views.maps import _feed_path, _map_context, leaflet_data

PAGE_SIZE = 25


# --- Home -----------------------------------------------------------------------------------


def home(request: HttpRequest) -> HttpResponse:
    queryset = (
        selectors.public_tickets()
        .order_by("-created_at", "-id")
        .annotate(
            comment_count=Count(
                "comments",
                filter=Q(comments__visibility=Comment.Visibility.VISIBLE, comments__shadow=False),
            )
        )
    )
    ticket_filter = TicketFilter(request.GET or None, queryset=queryset, request=request)
    form = ticket_filter.form
    form.fields["jurisdiction"].widget = django_forms.Select(
        choices=[("", _("All jurisdictions"))]
        + [(j.slug, j.name) for j in Jurisdiction.objects.order_by("name")]
    )
    form.fields["status"].empty_label = _("Any status")
    form.fields["service_code"].empty_label = _("Any type")
    form.fields["updated_since"].widget = django_forms.TextInput(
        attrs={"placeholder": "2025-01-31T08:00", "inputmode": "numeric"}
    )
    form.fields["updated_since"].help_text = _("Date and time, e.g. 2025-01-31T08:00")
    valid = ticket_filter.is_valid() if ticket_filter.is_bound else True
    # Invalid fields are left out of the filtering; their errors are shown on the form.
    paginator = Paginator(ticket_filter.qs, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    tickets = list(page.object_list)
    context = {
        "filter": ticket_filter,
        "form": form,
        "filter_valid": valid,
        "visible_fields": [form[name] for name in ("q", "status", "service_code", "jurisdiction")],
        "extra_fields": [form["updated_since"]],
        # My things: only a signed-in person has reports and follows of their own.
        "my_fields": ([form["mine"], form["following"]] if request.user.is_authenticated else []),
        "hidden_fields": [form[name] for name in ("event", "bbox") if request.GET.get(name)],
        "page": page,
        "tickets": tickets,
        "map": _map_context(tickets),
        "leaflet": leaflet_data(tickets, feed=_feed_path(request)),
    }
    return render(request, "tickets/home.html", context)
