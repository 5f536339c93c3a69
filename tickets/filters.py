"""Ticket filters shared by the home page and the API (django-filter)."""

from __future__ import annotations

import math
from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from tickets import casework_selectors, jurisdictions
from tickets.models import EmergencyEvent, ServiceType, Ticket


class BBoxField(forms.Field):
    """`minlong,minlat,maxlong,maxlat`, as Open311 and most map libraries write it."""

    def to_python(self, value: Any) -> tuple[float, float, float, float] | None:
        value = "" if value in self.empty_values else str(value).strip()
        if not value:
            return None
        parts = value.split(",")
        if len(parts) != 4:
            raise forms.ValidationError(_("bbox must be minlong,minlat,maxlong,maxlat."))
        try:
            nums = [float(p) for p in parts]
        except ValueError:
            raise forms.ValidationError(_("bbox must hold four numbers.")) from None
        if not all(math.isfinite(n) for n in nums):
            raise forms.ValidationError(_("bbox must hold four finite numbers."))
        min_long, min_lat, max_long, max_lat = nums
        if not (-180 <= min_long <= 180 and -180 <= max_long <= 180):
            raise forms.ValidationError(_("bbox longitudes must be between -180 and 180."))
        if not (-90 <= min_lat <= 90 and -90 <= max_lat <= 90):
            raise forms.ValidationError(_("bbox latitudes must be between -90 and 90."))
        if min_long > max_long or min_lat > max_lat:
            raise forms.ValidationError(_("bbox minimums must not exceed its maximums."))
        return min_long, min_lat, max_long, max_lat


@extend_schema_field(OpenApiTypes.STR)  # minlong,minlat,maxlong,maxlat (schema: a string)
class BBoxFilter(django_filters.Filter):
    field_class = BBoxField

    def filter(self, qs: QuerySet[Ticket], value: Any) -> QuerySet[Ticket]:
        if not value:
            return qs
        min_long, min_lat, max_long, max_lat = value
        return qs.filter(long__gte=min_long, long__lte=max_long, lat__gte=min_lat, lat__lte=max_lat)


class FlagInput(forms.CheckboxInput):
    """A checkbox sent as `1`; `0`, `false`, `off` or nothing mean unchecked (a plain
    CheckboxInput reads any other text, "0" included, as checked)."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"value": "1", **(attrs or {})})

    def value_from_datadict(self, data: Any, files: Any, name: str) -> bool:
        value = data.get(name)
        return value is not None and str(value).strip().lower() not in {"", "0", "false", "off"}


class TicketFilter(django_filters.FilterSet):
    # Real words for "no choice" (never `---------`), as the pages show these forms.
    status = django_filters.ChoiceFilter(
        choices=Ticket.Status.choices, label=_("Status"), empty_label=_("Any status")
    )
    service_code = django_filters.ModelChoiceFilter(
        field_name="service_type",
        queryset=ServiceType.objects.all(),
        to_field_name="code",
        label=_("Type"),
        empty_label=_("Any type"),
    )
    jurisdiction = django_filters.CharFilter(method="filter_jurisdiction", label=_("Jurisdiction"))
    event = django_filters.ModelChoiceFilter(
        field_name="event",
        queryset=EmergencyEvent.objects.all(),
        to_field_name="slug",
        label=_("Emergency event"),
        empty_label=_("Any event"),
    )
    bbox = BBoxFilter(label=_("Map area (minlong,minlat,maxlong,maxlat)"))
    q = django_filters.CharFilter(method="filter_text", label=_("Text"), max_length=200)
    # A date-and-time picker on the page (not a numeric keypad); the API takes any ISO 8601.
    updated_since = django_filters.IsoDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        label=_("Updated since"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    # My things: a signed-in person's own reports and the tickets they follow (nothing for
    # anyone else). `mine=1`, `following=1`.
    mine = django_filters.BooleanFilter(
        method="filter_mine",
        label=_("My reports"),
        widget=FlagInput,
    )
    following = django_filters.BooleanFilter(
        method="filter_following",
        label=_("Following"),
        widget=FlagInput,
    )

    class Meta:
        model = Ticket
        fields: list[str] = []

    def filter_jurisdiction(self, qs: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        if not value:
            return qs
        return qs.filter(jurisdiction_id__in=jurisdictions.descendant_ids_of_slug(value))

    def filter_text(self, qs: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        value = value.replace("\x00", "").strip()
        if not value:
            return qs
        return qs.filter(
            Q(title__icontains=value)
            | Q(description__icontains=value)
            | Q(address__icontains=value)
        )

    def filter_mine(self, qs: QuerySet[Ticket], name: str, value: bool) -> QuerySet[Ticket]:
        user = getattr(self.request, "user", None)
        return casework_selectors.reported_by(qs, user) if value else qs

    def filter_following(self, qs: QuerySet[Ticket], name: str, value: bool) -> QuerySet[Ticket]:
        user = getattr(self.request, "user", None)
        return casework_selectors.followed_by(qs, user) if value else qs
