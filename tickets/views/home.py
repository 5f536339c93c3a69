"""The home page: the map and the nearest open tickets first, the filters behind one control
(docs/ui.md)."""

from __future__ import annotations

import math
from typing import Any

import django_filters
from django import forms as django_forms
from django.core.paginator import Paginator
from django.db.models import Count, F, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets import selectors
from tickets.filters import FlagInput, TicketFilter
from tickets.models import (
    Comment,
    Jurisdiction,
    Ticket,
)
from tickets.views.maps import _feed_path, _map_context, leaflet_data

PAGE_SIZE = 25
EARTH_RADIUS_M = 6_371_000


def with_comment_counts(queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """The list rows' comment counter (public comments only)."""
    return queryset.annotate(
        comment_count=Count(
            "comments",
            filter=Q(comments__visibility=Comment.Visibility.VISIBLE, comments__shadow=False),
        )
    )


def parse_near(raw: str) -> tuple[float, float] | None:
    """`near=lat,long` from the "Tickets near you" button; anything else is ignored."""
    try:
        lat, long = (float(part) for part in raw.split(","))
    except ValueError:
        return None
    if not (math.isfinite(lat) and math.isfinite(long)):
        return None
    if not (-90 <= lat <= 90 and -180 <= long <= 180):
        return None
    return lat, long


def nearest_first(queryset: QuerySet[Ticket], lat: float, long: float) -> QuerySet[Ticket]:
    """Ordered by distance from (lat, long): an equirectangular squared distance, exact enough
    to sort a town's tickets and computed by SQLite and PostgreSQL alike."""
    kx = max(math.cos(math.radians(lat)), 0.01)
    dlat = F("lat") - lat
    dlong = (F("long") - long) * kx
    return queryset.annotate(distance_key=dlat * dlat + dlong * dlong).order_by(
        "distance_key", "-created_at", "-id"
    )


def distance_m(lat1: float, long1: float, lat2: float, long2: float) -> int:
    """Great-circle distance in metres (haversine), shown on each row."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(long2 - long1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return round(2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, h))))


class HomeTicketFilter(TicketFilter):
    """The API's filters, plus: closed tickets are left out unless asked for (this checkbox,
    or status=closed)."""

    closed = django_filters.BooleanFilter(
        method="keep", label=gettext_lazy("Include closed tickets"), widget=FlagInput
    )

    def keep(self, qs: QuerySet[Ticket], name: str, value: bool) -> QuerySet[Ticket]:
        return qs  # read by filter_queryset below

    def filter_queryset(self, queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
        qs = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        if not data.get("status") and not data.get("closed"):
            qs = qs.exclude(status=Ticket.Status.CLOSED)
        return qs


def _tune_form(form: django_forms.Form) -> None:
    """Real labels (never `---------`), type names in the page's language."""
    form.fields["jurisdiction"].widget = django_forms.Select(
        choices=[("", _("All jurisdictions"))]
        + [(j.slug, j.name) for j in Jurisdiction.objects.order_by("name")]
    )
    types = form.fields["service_code"]
    types.label_from_instance = lambda service_type: service_type.local_name  # type: ignore[attr-defined]


FILTER_NAMES = [
    "q", "status", "service_code", "jurisdiction", "updated_since", "closed", "mine", "following",
    "event", "bbox",
]  # fmt: skip


def active_filter_count(request: HttpRequest) -> int:
    """The number on the "Filters" control: how many filters this list is under."""
    return sum(1 for name in FILTER_NAMES if request.GET.get(name, "").strip() not in ("", "0"))


# --- Home -----------------------------------------------------------------------------------


def home(request: HttpRequest) -> HttpResponse:
    near = parse_near(request.GET.get("near", ""))
    queryset = with_comment_counts(selectors.public_tickets())
    queryset = nearest_first(queryset, *near) if near else queryset.order_by("-created_at", "-id")
    # Always bound (an empty query is valid): the default filtering leaves closed tickets out.
    ticket_filter = HomeTicketFilter(request.GET, queryset=queryset, request=request)
    form = ticket_filter.form
    _tune_form(form)
    valid = ticket_filter.is_valid()
    # Invalid fields are left out of the filtering; their errors are shown on the form.
    results = ticket_filter.qs
    paginator = Paginator(results, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    tickets = list(page.object_list)
    if near:
        for ticket in tickets:
            ticket.distance_m = distance_m(near[0], near[1], ticket.lat, ticket.long)
    context: dict[str, Any] = {
        "filter": ticket_filter,
        "form": form,
        "filter_valid": valid,
        "filters_open": not valid,
        "active_filters": active_filter_count(request),
        "visible_fields": [form[name] for name in ("q", "status", "service_code", "jurisdiction")],
        "extra_fields": [form["updated_since"], form["closed"]],
        # My things: only a signed-in person has reports and follows of their own.
        "my_fields": ([form["mine"], form["following"]] if request.user.is_authenticated else []),
        "hidden_fields": [form[name] for name in ("event", "bbox") if request.GET.get(name)],
        "near": near,
        "near_value": request.GET.get("near", "") if near else "",
        "page": page,
        "tickets": tickets,
        "map": _map_context(tickets),
        "leaflet": leaflet_data(tickets, feed=_feed_path(request)),
    }
    return render(request, "tickets/home.html", context)
