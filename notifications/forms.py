from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from notifications.models import NotificationPreference
from tickets.models import Jurisdiction, ServiceType

MAX_BBOX_DEGREES = 2.0  # an area alert is a neighbourhood, not a continent


class AlertForm(forms.Form):
    email = forms.EmailField(label=_("Your e-mail address"), max_length=254)
    jurisdiction = forms.ModelChoiceField(
        label=_("A whole jurisdiction"),
        queryset=Jurisdiction.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label=_("No: the area shown on the map"),
    )
    # Filled by the map of the page (static/js/alerts-map.js) as it is dragged and zoomed;
    # typed by hand without JavaScript.
    bbox = forms.CharField(
        label=_("Area coordinates"),
        help_text=_(
            "Filled in by the map: min longitude, min latitude, max longitude, max latitude"
        ),
        required=False,
        max_length=120,
    )
    service_types = forms.ModelMultipleChoiceField(
        label=_("Only these types (none ticked: every type)"),
        queryset=ServiceType.objects.filter(active=True),
        to_field_name="code",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        types = self.fields["service_types"]
        types.label_from_instance = lambda service_type: service_type.local_name  # type: ignore[attr-defined]

    def clean_bbox(self) -> tuple[float, float, float, float] | None:
        raw = self.cleaned_data.get("bbox", "").strip()
        if not raw:
            return None
        try:
            min_long, min_lat, max_long, max_lat = (float(v) for v in raw.split(","))
        except ValueError:
            raise forms.ValidationError(_("Four numbers separated by commas.")) from None
        if not (-180 <= min_long < max_long <= 180 and -90 <= min_lat < max_lat <= 90):
            raise forms.ValidationError(_("Not a valid rectangle."))
        if max_long - min_long > MAX_BBOX_DEGREES or max_lat - min_lat > MAX_BBOX_DEGREES:
            raise forms.ValidationError(_("This area is too large: zoom the map in."))
        return min_long, min_lat, max_long, max_lat

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if bool(data.get("jurisdiction")) == bool(data.get("bbox")) and not self.errors:
            raise forms.ValidationError(_("Choose either a jurisdiction or an area on the map."))
        return data


class ReopenForm(forms.Form):
    note = forms.CharField(
        label=_("What is still wrong?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
    )


class PreferencesForm(forms.ModelForm):
    """A person's own choices: e-mail language, follower updates and, for agents, how they
    hear of new tickets in their jurisdictions."""

    class Meta:
        model = NotificationPreference
        fields = ["language", "email_updates", "new_tickets"]

    def __init__(self, *args: Any, agent: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not agent:
            del self.fields["new_tickets"]
