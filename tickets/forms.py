"""Forms of the pages. They only shape and display input: the rules (lengths, routing, custom
questions, permissions) live in `tickets.services`, whose errors are attached back here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from tickets import photos as photo_processing
from tickets import services
from tickets.errors import InvalidInput
from tickets.models import EmergencyEvent, ServiceQuestion, ServiceType, Ticket


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to N photos from one `<input type=file multiple>`; `tickets.photos` checks them."""

    widget = MultiplePhotoInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [f for f in files if f]


def photos_field() -> PhotosField:
    return PhotosField(
        label=_("Photos"),
        required=False,
        help_text=_("Up to %(count)s photos (JPEG, PNG, GIF or WebP, %(mb)s MB each).")
        % {
            "count": photo_processing.max_photos(),
            "mb": photo_processing.max_bytes() // (1024 * 1024),
        },
        widget=MultiplePhotoInput(
            attrs={
                "accept": "image/jpeg,image/png,image/gif,image/webp",
                "data-max-count": photo_processing.max_photos(),
                "data-max-bytes": photo_processing.max_bytes(),
            }
        ),
    )


class ReportForm(forms.Form):
    """The report form: where first (a tap, the device's location or the map; the
    coordinates are form fields the page fills, tucked away), then what (large choices,
    the active event's first), then the words, photos and how to hear back."""

    service_code = forms.ChoiceField(
        label=_("Type of problem"), choices=(), widget=forms.RadioSelect
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=services.TITLE_MAX,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=_("A short summary, e.g. “Deep pothole in front of 120 Harbour St”."),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=services.DESCRIPTION_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    lat = forms.CharField(
        label=_("Latitude"),
        max_length=40,
        error_messages={"required": _("Choose the place: use your location or tap the map.")},
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    long = forms.CharField(
        label=_("Longitude"),
        max_length=40,
        error_messages={"required": _("Choose the place: use your location or tap the map.")},
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    address = forms.CharField(
        label=_("Address or landmark"),
        max_length=services.ADDRESS_MAX,
        required=False,
        help_text=_("Optional, e.g. “corner of Harbour St and Main St”."),
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    display_name = forms.CharField(
        label=_("Your name (optional)"),
        max_length=services.DISPLAY_NAME_MAX,
        required=False,
        help_text=_("Shown with your report, unless you report anonymously."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    anonymous = forms.BooleanField(
        label=_("Report anonymously"),
        required=False,
        help_text=_("No name is shown with your report."),
    )
    email = forms.EmailField(
        label=_("E-mail me updates (never shown)"),
        required=False,
        max_length=254,
        help_text=_(
            "Optional. We send one link to confirm the address; then the receipt, updates "
            "and “is it fixed?” reach you there. It is never shown to anyone."
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email"}),
    )
    # Filled from `?event=`: the emergency the ticket is filed into.
    event = forms.CharField(required=False, max_length=80, widget=forms.HiddenInput)
    # The signed token of photos kept from a submission that came back with an error.
    pending_photos = forms.CharField(required=False, max_length=400, widget=forms.HiddenInput)

    def __init__(self, *args: Any, categories: Sequence[ServiceType] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Declared above as a ChoiceField; its choices are read from the database per form.
        cast(forms.ChoiceField, self.fields["service_code"]).choices = [
            (stype.code, stype.local_name) for stype in categories
        ]
        self.fields["photos"] = photos_field()

    def clean_lat(self) -> float:
        return _coordinate(self.cleaned_data["lat"], field="lat", bound=90)

    def clean_long(self) -> float:
        return _coordinate(self.cleaned_data["long"], field="long", bound=180)

    def clean_event(self) -> EmergencyEvent | None:
        event, problem = event_problem(cast(str, self.cleaned_data.get("event") or ""))
        if problem:
            raise forms.ValidationError(problem)
        return event


def event_problem(slug: str) -> tuple[EmergencyEvent | None, str]:
    """The active emergency named by the page's `?event=`, or why a report cannot be filed
    into it (unknown, not started, ended): said clearly rather than filed elsewhere."""
    slug = slug.strip()[:80]
    if not slug:
        return None, ""
    event = EmergencyEvent.objects.filter(slug=slug).first()
    if event is None:
        return None, str(
            _("There is no event “%(slug)s”: this report would not be filed into it.")
            % {"slug": slug}
        )
    if not event.is_active():
        return None, str(
            _("The event “%(name)s” is not under way: reports are not filed into it.")
            % {"name": event.name}
        )
    return event, ""


def report_categories(event: EmergencyEvent | None) -> tuple[list[ServiceType], list[Any]]:
    """Active request types for the report form: (the event's, the others grouped). An
    event has no configured list of its own, so its types are those most reported in it
    (most first, at most six); the rest follow by group and name."""
    types = list(
        ServiceType.objects.filter(active=True)
        .prefetch_related("questions")
        .order_by("group", "name")
    )
    first: list[ServiceType] = []
    if event is not None:
        counts = (
            Ticket.objects.filter(event=event, service_type__active=True)
            .values("service_type")
            .annotate(n=Count("id"))
            .order_by("-n", "service_type")[:EVENT_CATEGORIES_MAX]
        )
        by_id = {stype.pk: stype for stype in types}
        first = [by_id[row["service_type"]] for row in counts if row["service_type"] in by_id]
    groups: dict[str, list[ServiceType]] = {}
    for stype in types:
        if stype not in first:
            groups.setdefault(stype.local_group or str(_("Other")), []).append(stype)
    return first, list(groups.items())


EVENT_CATEGORIES_MAX = 6


def _coordinate(raw: str, *, field: str, bound: float) -> float:
    """The typed text as a coordinate, with the write layer's message when it is not one."""
    try:
        return services.parse_coordinate(raw, field=field, bound=bound)
    except InvalidInput as exc:
        raise forms.ValidationError(exc.message) from None


# The HTML input of a question's datatype, when it is not "text".
INPUT_TYPES: dict[str, str] = {
    ServiceQuestion.Datatype.NUMBER: "number",
    ServiceQuestion.Datatype.DATETIME: "datetime-local",
}


def question_inputs(stype: ServiceType, data: Any, errors: dict[str, str]) -> list[dict[str, Any]]:
    """What the template needs to draw the custom questions of one type."""
    rows = []
    for question in stype.questions.all():
        name = f"answer-{question.code}"
        values = [str(v) for v in data.getlist(name)] if data is not None else []
        rows.append(
            {
                "q": question,
                "name": name,
                "id": f"id_{name}-{stype.code}",
                "values": values,
                "value": values[0] if values else "",
                "error": errors.get(question.code, ""),
                "multi": question.datatype == ServiceQuestion.Datatype.MULTI,
                "single": question.datatype == ServiceQuestion.Datatype.SINGLE,
                "input_type": INPUT_TYPES.get(question.datatype, "text"),
                "long_text": question.datatype == ServiceQuestion.Datatype.TEXT,
            }
        )
    return rows


def answers_from_post(stype: ServiceType | None, data: Any) -> dict[str, Any]:
    """The answers dict for `services.ticket_create`, from inputs named `answer-<code>`."""
    if stype is None:
        return {}
    answers: dict[str, Any] = {}
    for question in stype.questions.all():
        name = f"answer-{question.code}"
        if question.datatype == ServiceQuestion.Datatype.MULTI:
            values = [v for v in data.getlist(name) if v != ""]
            if values:
                answers[question.code] = values
        else:
            value = data.get(name, "")
            if value.strip():
                answers[question.code] = value.strip()
    return answers


class SignUpForm(UserCreationForm):
    """Sign-up. A taken username must be refused (names are unique), but the answer is the
    same generic one as for a reserved name, and the page is throttled per address, so the
    form is a slow and noisy way to list accounts (docs/security.md)."""

    UNAVAILABLE = _("This username is not available. Please choose another one.")

    email = forms.EmailField(
        label=_("E-mail"),
        required=False,
        help_text=_(
            "Optional: we send one link to verify it; updates on the tickets you follow "
            "start once you click it."
        ),
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")

    def clean_username(self) -> str:
        username = cast(str, self.cleaned_data.get("username") or "")
        model = self._meta.model
        if username and model.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(self.UNAVAILABLE, code="unavailable")
        return username

    def validate_unique(self) -> None:
        # The model's own "A user with that username already exists." would say more than
        # clean_username does; the database constraint still holds.
        super().validate_unique()
        if self.has_error("username", code="unique"):
            self.errors["username"] = self.error_class([str(self.UNAVAILABLE)])
