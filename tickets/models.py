"""The ticket domain. Models hold data and small derived properties only: every write goes
through `tickets.services`, which also appends the durable event of each visible change.

Over 400 lines on purpose: these are the app's models and nothing else, kept in the one module
Django and the migrations name them by (`tickets.models`), so their relations read in one place."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets import geo, jurisdictions

# Casework models live in their own module; re-exported so `tickets.models` names them all.
from tickets.models_casework import CaseworkEvent as CaseworkEvent
from tickets.models_casework import CaseworkNote as CaseworkNote
from tickets.models_casework import Priority, Team


class NeverDeletedQuerySet(models.QuerySet):
    """Civic history is never destroyed: bulk deletes are refused."""

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError(f"{self.model.__name__} rows are never deleted; hide them instead")


class NeverDeleted(models.Model):
    objects = NeverDeletedQuerySet.as_manager()

    class Meta:
        abstract = True

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError(f"{type(self).__name__} rows are never deleted; hide them instead")


def validate_geojson_area(value: Any) -> None:
    try:
        geo.parse_area(value)
    except geo.GeometryError as exc:
        raise ValidationError(str(exc)) from exc


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


class ServiceType(models.Model):
    """A request type, configured per jurisdiction in the admin and offered in its descendants."""

    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="service_types"
    )
    code = models.SlugField(_("service code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    group = models.CharField(_("group"), max_length=100, blank=True)
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
    datatype = models.CharField(_("datatype"), max_length=20, choices=Datatype.choices)
    required = models.BooleanField(_("required"), default=False)
    values = models.JSONField(
        _("values"),
        default=list,
        blank=True,
        help_text=_('For lists: [{"key": "deep", "name": "Deeper than 5 cm"}, …]'),
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


class EmergencyEvent(models.Model):
    """An emergency (a snowstorm). Tickets join it; its rules tighten moderation."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    area = models.JSONField(_("area"), null=True, blank=True, validators=[validate_geojson_area])
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


def _new_public_key() -> str:
    return secrets.token_hex(12)


class Identity(models.Model):
    """Who did something: an account, an anonymous browser (signed cookie) or, for API
    callers with neither, a salted hash of their network address. Tickets, comments and
    reactions point here, so moderation works the same on accounts and anonymous people."""

    class Kind(models.TextChoices):
        ACCOUNT = "account", _("Account")
        ANONYMOUS = "anonymous", _("Anonymous browser")
        NETWORK = "network", _("Network address")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    # Internal lookup key: "u:<user id>", "a:<cookie token>" or "n:<daily ip hash>".
    key = models.CharField(max_length=120, unique=True)
    # Opaque and stable: the `author_key` moderators see. Reveals nothing by itself.
    public_key = models.CharField(max_length=32, unique=True, default=_new_public_key)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="fixline_identity",
    )
    last_ip_hash = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("identity")
        verbose_name_plural = _("identities")

    def __str__(self) -> str:
        if self.user_id:
            return f"account {self.user}"
        return f"{self.kind} {self.public_key}"


class Ticket(NeverDeleted):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        CLOSED = "closed", _("Closed")

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), max_length=5000, blank=True)
    service_type = models.ForeignKey(ServiceType, on_delete=models.PROTECT, related_name="tickets")
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="tickets")
    lat = models.FloatField(_("latitude"))
    long = models.FloatField(_("longitude"))
    address = models.CharField(_("address"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    reporter = models.ForeignKey(Identity, on_delete=models.PROTECT, related_name="tickets")
    anonymous = models.BooleanField(_("reported anonymously"), default=False)
    display_name = models.CharField(_("display name"), max_length=80, blank=True)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    event = models.ForeignKey(
        EmergencyEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    # Private contact details (Open311 POST, receipts); never in a public answer.
    contact_email = models.EmailField(blank=True)
    contact_name = models.CharField(max_length=160, blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    views = models.PositiveIntegerField(default=0)
    followers = models.PositiveIntegerField(default=0)
    votes = models.PositiveIntegerField(default=0)
    thanks = models.PositiveIntegerField(default=0)
    # Last durable event number of this ticket (allocated under a row lock).
    seq = models.PositiveIntegerField(default=0)
    # Casework, for the staff of the jurisdiction only (tickets/services/casework.py).
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    due_at = models.DateTimeField(_("due"), null=True, blank=True, db_index=True)

    # --- Casework: duplicates. Set while merged into another ticket (services/merging.py).
    duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
        verbose_name=_("duplicate of"),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["lat", "long"])]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    def get_absolute_url(self) -> str:
        return f"/tickets/{self.pk}/"

    @property
    def emergency_slug(self) -> str | None:
        """The slug of the emergency the ticket belongs to (the wire's `event`)."""
        emergency = self.event
        return emergency.slug if emergency is not None else None

    @property
    def public_reporter(self) -> str:
        if self.anonymous or not self.display_name:
            return str(_("Anonymous"))
        return self.display_name

    @property
    def photo(self) -> Photo | None:
        """The ticket's first photo (Open311 `media_url`); comments' photos are not counted.
        Uses `prefetch_related("photos")` when the caller did."""
        for photo in self.photos.all():
            if photo.comment_id is None:
                return photo
        return None


class Comment(NeverDeleted):
    class Visibility(models.TextChoices):
        VISIBLE = "visible", _("Visible")
        HIDDEN = "hidden", _("Hidden")
        HELD = "held", _("Awaiting review")

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="comments")
    author = models.ForeignKey(Identity, on_delete=models.PROTECT, related_name="comments")
    display_name = models.CharField(max_length=80, blank=True)
    body = models.TextField(_("comment"), max_length=5000)
    official = models.BooleanField(default=False)
    visibility = models.CharField(
        max_length=16, choices=Visibility.choices, default=Visibility.VISIBLE, db_index=True
    )
    # Shadow-banned authors see their own comments; nobody else does.
    shadow = models.BooleanField(default=False)
    moderation_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "visibility", "created_at"])]

    def __str__(self) -> str:
        return f"comment {self.pk} on #{self.ticket_id}"

    @property
    def public_author(self) -> str:
        return self.display_name or str(_("Anonymous"))


class StatusChange(NeverDeleted):
    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="status_changes")
    actor = models.ForeignKey(Identity, on_delete=models.PROTECT, related_name="+")
    actor_name = models.CharField(max_length=160, blank=True)
    from_status = models.CharField(max_length=16, choices=Ticket.Status.choices)
    to_status = models.CharField(max_length=16, choices=Ticket.Status.choices)
    note = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]


class TicketEvent(NeverDeleted):
    """The durable, ordered log of everything people can see happen to a ticket. `data` is
    the envelope's public payload; replay after a reconnect reads from here."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField()
    type = models.CharField(max_length=40)
    at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict)
    # Who caused it (never in `data`, never public): listeners use it, e.g. so nobody is
    # notified of their own comment or status change.
    actor = models.ForeignKey(
        Identity, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["ticket_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "seq"], name="ticketevent_unique_seq")
        ]

    def __str__(self) -> str:
        return f"#{self.ticket_id}/{self.seq} {self.type}"


class Reaction(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="%(class)s_set")
    identity = models.ForeignKey(Identity, on_delete=models.PROTECT, related_name="%(class)s_set")
    created_at = models.DateTimeField(auto_now_add=True)
    # Reactions without an account from one (daily-salted) address count once per ticket.
    ip_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "identity"], name="%(class)s_once_per_identity"
            )
        ]


class Follow(Reaction):
    pass


class Vote(Reaction):
    pass


class Thanks(Reaction):
    pass


class IpSalt(models.Model):
    """Today's salt for hashing network addresses; older salts are destroyed each day."""

    day = models.DateField(unique=True)
    salt = models.CharField(max_length=64)


class Integration(models.Model):
    """An Open311 client (a city system, an app). Its API key is stored hashed."""

    name = models.CharField(_("name"), max_length=200)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_hint = models.CharField(max_length=12, editable=False, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Open311 integration")
        verbose_name_plural = _("Open311 integrations")

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def hash_key(raw_key: str) -> str:
        return hashlib.sha256(raw_key.encode()).hexdigest()

    @classmethod
    def ensure(cls, *, name: str, raw_key: str) -> Integration:
        found, _created = cls.objects.get_or_create(
            key_hash=cls.hash_key(raw_key), defaults={"name": name, "key_hint": raw_key[:4]}
        )
        return found

    @classmethod
    def for_key(cls, raw_key: str) -> Integration | None:
        if not raw_key or len(raw_key) > 200:
            return None
        return cls.objects.filter(key_hash=cls.hash_key(raw_key), active=True).first()


def _photo_path(instance: Photo, filename: str) -> str:
    """Unguessable names, grouped by month; the uploader's file name is never kept."""
    now = timezone.now()
    return f"photos/{now:%Y/%m}/{secrets.token_urlsafe(16)}.jpg"


class Photo(models.Model):
    """A photo of a ticket, or of one of its comments (then `comment` is set too). Stored
    re-encoded by `tickets.photos` (resized, EXIF stripped) in the default file storage."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="photos")
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.PROTECT, related_name="photos"
    )
    image = models.ImageField(
        _("photo"), upload_to=_photo_path, width_field="width", height_field="height"
    )
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    size = models.PositiveIntegerField(default=0)
    uploader = models.ForeignKey(
        Identity, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self) -> str:
        return f"photo {self.pk} of #{self.ticket_id}"

    @property
    def url(self) -> str:
        return self.image.url


# Casework: the log of merges (what moved, so that unmerge is exact) lives in its own module.
from tickets.merge_records import MergeRecord as MergeRecord  # noqa: E402
