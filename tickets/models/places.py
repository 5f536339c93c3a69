"""Where and what: jurisdictions (a tree with GeoJSON areas), the request types each offers with
their custom questions, and emergencies (`EmergencyEvent`) that tickets can join."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from tickets import jurisdictions
from tickets.models.base import validate_geojson_area
from tickets.models.casework import Priority


class Jurisdiction(models.Model):
    class Kind(models.TextChoices):
        CITY = "city", _("City")
        BOROUGH = "borough", _("Borough")
        COUNTY = "county", _("County")
        UNIVERSITY = "university", _("University")
        HOUSING_AUTHORITY = "housing_authority", _("Housing authority")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices, default=Kind.CITY)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    boundary = models.JSONField(
        _("boundary"),
        help_text=_("GeoJSON Polygon or MultiPolygon, longitude first."),
        validators=[validate_geojson_area],
    )
    contact_email = models.EmailField(_("public contact e-mail"), blank=True)
    contact_phone = models.CharField(_("public contact phone"), max_length=40, blank=True)
    contact_url = models.URLField(_("public contact web page"), blank=True)
    team_name = models.CharField(_("team that receives tickets"), max_length=200, blank=True)
    agents = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="agent_of", verbose_name=_("agents")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("jurisdiction")
        verbose_name_plural = _("jurisdictions")

    def __str__(self) -> str:
        return self.name

    def ancestor_ids(self) -> list[int]:
        """This jurisdiction and its ancestors, nearest first (see `tickets.jurisdictions`)."""
        return jurisdictions.ancestor_ids(self.pk)


def in_language(canonical: str, french: str, language: str | None) -> str:
    """What a jurisdiction configured, as a page in `language` ("fr", "fr-ca", …) shows it: its
    French text when given, else the canonical one (which the API and Open311 keep)."""
    if (language or "").lower().startswith("fr") and french:
        return french
    return canonical


class ServiceType(models.Model):
    """A request type, configured per jurisdiction in the admin and offered in its descendants."""

    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="service_types"
    )
    code = models.SlugField(_("service code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    # The name on French pages (the canonical `name` stays the API's and Open311's).
    name_fr = models.CharField(
        _("name in French"), max_length=200, blank=True, help_text=_("Empty: the name above.")
    )
    description = models.TextField(_("description"), blank=True)
    group = models.CharField(_("group"), max_length=100, blank=True)
    group_fr = models.CharField(
        _("group in French"), max_length=100, blank=True, help_text=_("Empty: the group above.")
    )
    keywords = models.CharField(_("keywords"), max_length=300, blank=True)
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Casework: what a new ticket of this type starts with (e.g. fallen tree: high, 4 h).
    default_priority = models.CharField(
        _("default priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    default_due_hours = models.PositiveIntegerField(
        _("due within (hours)"), null=True, blank=True, help_text=_("Empty: no due date.")
    )

    class Meta:
        ordering = ["group", "name"]
        verbose_name = _("service type")
        verbose_name_plural = _("service types")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def name_in(self, language: str | None) -> str:
        """The name in `language` ("fr", "fr-ca", …): its translation, else the canonical name."""
        return in_language(self.name, self.name_fr, language)

    @property
    def local_name(self) -> str:
        """The name in the language of the page being rendered (templates, form choices)."""
        return self.name_in(get_language())

    @property
    def local_group(self) -> str:
        """The group's heading in the language of the page being rendered (the report form)."""
        return in_language(self.group, self.group_fr, get_language())


class ServiceQuestion(models.Model):
    """A custom question of a service type (an Open311 attribute)."""

    class Datatype(models.TextChoices):
        STRING = "string", _("Short text")
        NUMBER = "number", _("Number")
        DATETIME = "datetime", _("Date and time")
        TEXT = "text", _("Long text")
        SINGLE = "singlevaluelist", _("One choice")
        MULTI = "multivaluelist", _("Several choices")

    service_type = models.ForeignKey(
        ServiceType, on_delete=models.CASCADE, related_name="questions"
    )
    code = models.SlugField(_("code"), max_length=64)
    description = models.CharField(_("question"), max_length=300)
    description_fr = models.CharField(
        _("question in French"),
        max_length=300,
        blank=True,
        help_text=_("Empty: the question above."),
    )
    datatype = models.CharField(_("datatype"), max_length=20, choices=Datatype.choices)
    required = models.BooleanField(_("required"), default=False)
    values = models.JSONField(
        _("values"),
        default=list,
        blank=True,
        help_text=_(
            'For lists: [{"key": "deep", "name": "Deeper than 5 cm", "name_fr": "Plus de 5 cm"}, …]'
            " (name_fr: optional)"
        ),
    )
    order = models.PositiveIntegerField(_("order"), default=0)
    private = models.BooleanField(
        _("answer kept private"), default=False, help_text=_("Shown to agents only.")
    )

    class Meta:
        ordering = ["order", "id"]
        unique_together = [("service_type", "code")]
        verbose_name = _("custom question")
        verbose_name_plural = _("custom questions")

    def __str__(self) -> str:
        return self.description

    def clean(self) -> None:
        if self.datatype in (self.Datatype.SINGLE, self.Datatype.MULTI):
            if not isinstance(self.values, list) or not self.values:
                raise ValidationError({"values": _("A list question needs values.")})
            for item in self.values:
                if not isinstance(item, dict) or not {"key", "name"} <= set(item):
                    raise ValidationError({"values": _('Each value needs a "key" and a "name".')})

    @property
    def value_keys(self) -> list[str]:
        return [str(v.get("key")) for v in self.values or [] if isinstance(v, dict)]

    @property
    def local_description(self) -> str:
        """The question in the language of the page being rendered."""
        return in_language(self.description, self.description_fr, get_language())

    @property
    def local_values(self) -> list[dict[str, Any]]:
        """The list's values, each `name` in the language of the page being rendered."""
        language = get_language()
        return [
            {**v, "name": in_language(str(v.get("name", "")), str(v.get("name_fr", "")), language)}
            for v in self.values or []
            if isinstance(v, dict)
        ]


class EmergencyEvent(models.Model):
    """An emergency (a snowstorm). Tickets join it; its rules tighten moderation."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    area = models.JSONField(_("area"), null=True, blank=True, validators=[validate_geojson_area])
    # Or the area of a jurisdiction (and its descendants): tickets routed there join it.
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="emergencies",
        verbose_name=_("jurisdiction"),
    )
    premoderate_anonymous = models.BooleanField(_("hold anonymous comments"), default=False)
    slow_mode_seconds = models.PositiveIntegerField(_("slow mode (seconds)"), default=0)
    anonymous_comment_limit = models.PositiveIntegerField(
        _("anonymous comments per minute"), null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("emergency event")
        verbose_name_plural = _("emergency events")

    def __str__(self) -> str:
        return self.name

    def is_active(self, at: Any = None) -> bool:
        at = at or timezone.now()
        return self.starts_at <= at and (self.ends_at is None or at < self.ends_at)
