"""The console's event form (declare and edit an emergency): what the browser sends, as the
API's `EmergencyRequestSerializer` reads it. The write layer (`services.emergency_create`,
`emergency_update`) has the last word; its errors land on the field they name."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from moderation import permissions
from tickets.models import EmergencyEvent, Jurisdiction

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class LocalMoment(forms.DateTimeField):
    """`<input type="datetime-local">`: a moment in the site's time zone, to the minute."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_FORMAT)
    input_formats = [LOCAL_FORMAT, "%Y-%m-%dT%H:%M:%S"]


class EventForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    slug = forms.SlugField(
        label=_("Short name in links"),
        max_length=80,
        help_text=_("Letters, digits and hyphens, e.g. storm-december."),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    starts_at = LocalMoment(label=_("Starts"))
    ends_at = LocalMoment(label=_("Ends"), required=False, help_text=_("Empty: until ended."))
    jurisdiction = forms.ChoiceField(
        label=_("Area: a jurisdiction"),
        required=False,
        help_text=_("Or draw the area on the map below."),
    )
    area = forms.CharField(
        label=_("Area drawn on the map (GeoJSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "event-area-json"}),
        help_text=_("Filled in when you draw on the map; you may also paste GeoJSON."),
    )
    premoderate_anonymous = forms.BooleanField(
        label=_("Review comments and offers from people without an account"), required=False
    )
    slow_mode_seconds = forms.IntegerField(
        label=_("Slow mode (seconds between comments)"),
        required=False,
        initial=0,
        widget=forms.NumberInput(attrs={"min": 0, "max": 86400, "inputmode": "numeric"}),
    )
    anonymous_comment_limit = forms.IntegerField(
        label=_("Comments per minute for people without an account"),
        required=False,
        help_text=_("Empty: the usual limit."),
        widget=forms.NumberInput(attrs={"min": 0, "max": 1000, "inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, user: Any = None, editing: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        places = Jurisdiction.objects.order_by("name")
        if user is not None and not permissions.moderates_everywhere(user):
            places = places.filter(
                pk__in=[p.pk for p in places if permissions.can_moderate_jurisdiction(user, p.pk)]
            )
        choice = self.fields["jurisdiction"]
        assert isinstance(choice, forms.ChoiceField)
        choice.choices = [("", _("None (draw the area, or no area)"))] + [
            (j.slug, j.name) for j in places
        ]
        if editing:  # the slug is in every link and socket: it never changes
            self.fields["slug"].disabled = True
            self.fields["slug"].required = False

    def clean_jurisdiction(self) -> str:
        # Any slug reaches the write layer, which names an unknown one (the select is a hint).
        return str(self.data.get(self.add_prefix("jurisdiction"), "") or "").strip()

    def service_arguments(self) -> dict[str, Any]:
        """What `emergency_create`/`emergency_update` take, from the cleaned fields."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "description": data.get("description") or "",
            "starts_at": data["starts_at"],
            "ends_at": data.get("ends_at"),
            "premoderate_anonymous": bool(data.get("premoderate_anonymous")),
            "slow_mode_seconds": data.get("slow_mode_seconds") or 0,
            "anonymous_comment_limit": data.get("anonymous_comment_limit"),
            "jurisdiction": data.get("jurisdiction") or None,
            "area": data.get("area") or None,
        }


def initial_of(emergency: EmergencyEvent) -> dict[str, Any]:
    """The form's values for an existing event (times in the site's time zone)."""

    def local(moment: datetime | None) -> str:
        return timezone.localtime(moment).strftime(LOCAL_FORMAT) if moment else ""

    return {
        "name": emergency.name,
        "slug": emergency.slug,
        "description": emergency.description,
        "starts_at": local(emergency.starts_at),
        "ends_at": local(emergency.ends_at),
        "jurisdiction": emergency.jurisdiction.slug if emergency.jurisdiction else "",
        "area": json.dumps(emergency.area) if emergency.area else "",
        "premoderate_anonymous": emergency.premoderate_anonymous,
        "slow_mode_seconds": emergency.slow_mode_seconds,
        "anonymous_comment_limit": emergency.anonymous_comment_limit,
    }
