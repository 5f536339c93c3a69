"""What the feedback loops remember: who wants what (preferences, area subscriptions), what
is waiting to be batched, every e-mail ever queued (the outbox, one row per recipient and
message key, so a retry can never send twice), in-app notifications and "is it fixed?"
answers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.models import Identity, Jurisdiction, ServiceType, Ticket, TicketEvent


class NotificationPreference(models.Model):
    """Per account: language of e-mail, and how an agent hears of new tickets."""

    class NewTickets(models.TextChoices):
        INSTANT = "instant", _("At once, one e-mail per ticket")
        DAILY = "daily", _("A daily digest")
        OFF = "off", _("Never")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    language = models.CharField(
        _("language of e-mail"), max_length=10, choices=settings.LANGUAGES, blank=True
    )
    new_tickets = models.CharField(
        _("new tickets in my jurisdictions (agents)"),
        max_length=10,
        choices=NewTickets.choices,
        default=NewTickets.INSTANT,
    )
    email_updates = models.BooleanField(
        _("e-mail me updates of the tickets I follow"), default=True
    )

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"preferences of {self.user}"


class Delivery(models.Model):
    """The outbox: one e-mail to one recipient, rendered once when queued. The unique
    (recipient, key) pair makes queueing idempotent; `sent_at` is set only after the
    transport accepted the message, and a sent row is never sent again."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Gave up")

    key = models.CharField(max_length=120)
    recipient = models.EmailField()
    kind = models.CharField(max_length=40)
    language = models.CharField(max_length=10, blank=True)
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("e-mail delivery")
        verbose_name_plural = _("e-mail deliveries")
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="delivery_once_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} ({self.status})"


class Batch(models.Model):
    """Items waiting to go out together: a follower's updates on one ticket (a one-minute
    window) or an agent's daily digest. At most one open batch per key."""

    class Status(models.TextChoices):
        OPEN = "open", _("Collecting")
        FLUSHED = "flushed", _("Sent on")

    key = models.CharField(max_length=120)
    kind = models.CharField(max_length=20)
    identity = models.ForeignKey(Identity, null=True, blank=True, on_delete=models.CASCADE)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE
    )
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    items = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    send_after = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=Q(status="open"), name="batch_one_open_per_key"
            )
        ]


class AreaSubscription(models.Model):
    """Alerts of new tickets in a rectangle or a jurisdiction, by e-mail, after double
    opt-in. Anyone may subscribe; nothing is sent before the address is confirmed."""

    email = models.EmailField(_("e-mail address"))
    jurisdiction = models.ForeignKey(
        Jurisdiction, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    min_lat = models.FloatField(null=True, blank=True)
    min_long = models.FloatField(null=True, blank=True)
    max_lat = models.FloatField(null=True, blank=True)
    max_long = models.FloatField(null=True, blank=True)
    service_types = models.ManyToManyField(ServiceType, blank=True, related_name="+")
    language = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("area alert")
        verbose_name_plural = _("area alerts")

    def __str__(self) -> str:
        return f"area alert {self.pk}"

    @property
    def active(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None

    def describe(self) -> str:
        if self.jurisdiction is not None:
            return self.jurisdiction.name
        return f"{self.min_lat:.4f},{self.min_long:.4f} – {self.max_lat:.4f},{self.max_long:.4f}"

    def matches(self, ticket: Ticket) -> bool:
        if self.jurisdiction_id:
            inside = self.jurisdiction_id in ticket.jurisdiction.ancestor_ids()
        elif (
            self.min_lat is None
            or self.max_lat is None
            or self.min_long is None
            or self.max_long is None
        ):
            inside = False  # no rectangle: as in dispatch's query, where NULL matches nothing
        else:
            inside = (
                self.min_lat <= ticket.lat <= self.max_lat
                and self.min_long <= ticket.long <= self.max_long
            )
        if not inside:
            return False
        wanted = [st.pk for st in self.service_types.all()]
        return not wanted or ticket.service_type_id in wanted


class Notification(models.Model):
    """In-app: the bell of a signed-in person."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    key = models.CharField(max_length=120)
    kind = models.CharField(max_length=40)
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # Public facts only (ticket id and title, a display name, a status): the text is worded
    # when shown, in the reader's language.
    data = models.JSONField(default=dict)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="notification_once_per_key")
        ]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return f"notification {self.pk} for {self.user_id}"

    @property
    def text(self) -> str:
        values = {
            "id": self.ticket_id,
            "title": self.data.get("title", ""),
            "author": self.data.get("author") or _("Anonymous"),
            "status": Ticket.Status(self.data["status"]).label
            if self.data.get("status") in Ticket.Status.values
            else self.data.get("status", ""),
        }
        if self.kind == "ticket.created":
            return _("New ticket #%(id)s: %(title)s") % values
        if self.kind == "comment.created":
            return _("%(author)s commented on #%(id)s %(title)s") % values
        if self.kind == "ticket.status_changed":
            return _("#%(id)s %(title)s is now %(status)s") % values
        if self.kind == "ticket.rerouted":  # casework (notifications.listeners)
            values["place"] = self.data.get("jurisdiction", "")
            return _("#%(id)s %(title)s was moved to %(place)s") % values
        return _("Update on #%(id)s %(title)s") % values


class FixCheck(models.Model):
    """ "Is it fixed?", asked once per closure (the close event's seq)."""

    class Answer(models.TextChoices):
        YES = "yes", _("Fixed")
        NO = "no", _("Not fixed")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="fix_checks")
    close_seq = models.PositiveIntegerField()
    asked_at = models.DateTimeField(default=timezone.now)
    answer = models.CharField(max_length=4, choices=Answer.choices, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "close_seq"], name="fixcheck_once_per_close")
        ]

    def __str__(self) -> str:
        return f"is #{self.ticket_id} fixed? {self.answer or '-'}"


class AddressVerification(models.Model):
    """One request to prove an e-mail address: the signed link in the verification mail
    carries this row's id (never the address). An address is verified once any of its rows
    has `verified_at`; until then the outbox sends it nothing but verification mail."""

    email = models.EmailField(_("e-mail address"), db_index=True)  # stored lower-case
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("address verification")
        verbose_name_plural = _("address verifications")

    def __str__(self) -> str:
        return f"address verification {self.pk}"


class PushSubscription(models.Model):
    """A browser that accepted Web Push (docs/notifications.md), tied to the identity that
    subscribed it: an account or an anonymous browser. One row per push endpoint (the
    browser's own address at its push service); a 404 or 410 from there removes it."""

    identity = models.ForeignKey(Identity, on_delete=models.CASCADE, related_name="+")
    endpoint = models.CharField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=120)
    auth = models.CharField(max_length=60)
    # The language of the page that subscribed: anonymous people have no preference.
    language = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("push subscription")
        verbose_name_plural = _("push subscriptions")

    def __str__(self) -> str:
        return f"push subscription {self.pk}"


class PushDelivery(models.Model):
    """One push of one ticket event to one subscription: unique, so a retried task or a
    second run of the dispatch never pushes twice."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Gave up")

    subscription = models.ForeignKey(
        PushSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(TicketEvent, on_delete=models.CASCADE, related_name="+")
    # Why this person hears of it: "follow" (a ticket they follow) or "alert" (their area).
    reason = models.CharField(max_length=10)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event"], name="push_once_per_event")
        ]
