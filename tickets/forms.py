"""Forms of the pages. They only shape and display input: the rules (lengths, routing, custom
questions, permissions) live in `tickets.services`, whose errors are attached back here."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from tickets import photos as photo_processing
from tickets import services
from tickets.errors import InvalidInput
from tickets.models import ServiceQuestion, ServiceType


def grouped_service_choices() -> list[tuple[str, Any]]:
    """Active request types, grouped (`<optgroup>`), read from the database on every request so
    that edits in the admin apply at once."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for stype in ServiceType.objects.filter(active=True).order_by("group", "name"):
        groups.setdefault(stype.group or str(_("Other")), []).append((stype.code, stype.name))
    return [("", _("Choose a type…")), *groups.items()]


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
    service_code = forms.ChoiceField(label=_("Type of problem"), choices=())
    lat = forms.CharField(
        label=_("Latitude"),
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    long = forms.CharField(
        label=_("Longitude"),
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    address = forms.CharField(
        label=_("Address or landmark"), max_length=services.ADDRESS_MAX, required=False
    )
    anonymous = forms.BooleanField(
        label=_("Report anonymously"),
        required=False,
        help_text=_("Your name is not shown on the public page."),
    )
    display_name = forms.CharField(
        label=_("Name shown publicly"), max_length=services.DISPLAY_NAME_MAX, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Declared above as a ChoiceField; its choices are read from the database per form.
        cast(forms.ChoiceField, self.fields["service_code"]).choices = grouped_service_choices()
        self.fields["photos"] = photos_field()

    def clean_lat(self) -> float:
        return _coordinate(self.cleaned_data["lat"], field="lat", bound=90)

    def clean_long(self) -> float:
        return _coordinate(self.cleaned_data["long"], field="long", bound=180)


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
