"""Web Push (VAPID, `pywebpush`): a follower's phone hears of a status change or an official
reply, and an area alert's owner of a new ticket, within seconds, with the tab closed.

- On only when `FIXLINE_VAPID_PRIVATE_KEY` is set; otherwise the option is hidden (no
  `data-push-key` on pages) and the API answers 404.
- `subscribe` / `unsubscribe` are the write layer of the subscriptions API.
- `queue_for_event` runs in the worker's `dispatch.process_event`: one `PushDelivery` per
  (subscription, event), its send enqueued in the same transaction.
- `send` is the task body: it encrypts (aes128gcm) and posts; a 5xx, 429 or network error
  is retried with back-off, a 404 or 410 removes the subscription.

A payload holds public facts of the ticket only (its number, title, status, area), worded
in the recipient's language: never a name, an e-mail address or a contact of anyone.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import logging
from datetime import timedelta
from functools import cache
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

# Neither ships type information.
from py_vapid import Vapid, Vapid01  # type: ignore[import-untyped]
from pywebpush import WebPushException, webpush  # type: ignore[import-untyped]

from notifications import jobs
from notifications.models import AreaSubscription, PushDelivery, PushSubscription
from notifications.recipients import preference, redact
from realtime import events
from tickets.identity import Actor
from tickets.models import Comment, Follow, Ticket, TicketEvent

log = logging.getLogger(__name__)

ENDPOINT_MAX = 1000
TITLE_MAX = 120
# How long a push service keeps a message for a phone that is off (seconds).
PUSH_TTL = 24 * 3600
SEND_TIMEOUT_SECONDS = 10
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class PushInputError(ValueError):
    """Bad subscription input: `field` names what is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


# --- Configuration ---------------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@cache
def _load(private_key: str, public_key: str) -> tuple[Vapid01, str]:
    """The signing key and its applicationServerKey (base64url of the uncompressed point)."""
    try:
        if private_key.startswith("-----BEGIN"):
            vapid = Vapid.from_pem(private_key.encode())
        else:
            vapid = Vapid.from_string(private_key)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise ImproperlyConfigured(
            f"FIXLINE_VAPID_PRIVATE_KEY is not a P-256 private key (PEM or base64url): {exc}"
        ) from exc
    derived = _b64url(vapid.public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint))
    if public_key and public_key.rstrip("=") != derived:
        raise ImproperlyConfigured(
            "FIXLINE_VAPID_PUBLIC_KEY does not belong to FIXLINE_VAPID_PRIVATE_KEY "
            "(leave it empty to derive it)"
        )
    return vapid, derived


def vapid() -> tuple[Vapid01, str] | None:
    """(signing key, public key), or None when push is off."""
    private_key = str(getattr(settings, "FIXLINE_VAPID_PRIVATE_KEY", "") or "").strip()
    if not private_key:
        return None
    public_key = str(getattr(settings, "FIXLINE_VAPID_PUBLIC_KEY", "") or "").strip()
    return _load(private_key, public_key)


def enabled() -> bool:
    return vapid() is not None


def public_key() -> str:
    """The applicationServerKey browsers subscribe with; empty when push is off."""
    found = vapid()
    return found[1] if found else ""


def context_processor(request: HttpRequest) -> dict[str, str]:
    """`push_key` for `<body data-push-key>` in templates/base.html: the option shows only
    when push is configured."""
    return {"push_key": public_key()}


# --- Subscriptions (the API's write layer) ---------------------------------------------------


def _loopback_http_allowed() -> bool:
    return bool(settings.DEBUG or getattr(settings, "FIXLINE_PUSH_ALLOW_LOOPBACK_HTTP", False))


def check_endpoint(endpoint: str) -> str:
    """A push service's https:// URL. Never an address on this machine or a private network
    (the worker would post there), except plain http on loopback for a local stand-in when
    DEBUG or FIXLINE_PUSH_ALLOW_LOOPBACK_HTTP says so."""
    if len(endpoint) > ENDPOINT_MAX:
        raise PushInputError("endpoint", _("At most %(max)s characters.") % {"max": ENDPOINT_MAX})
    parts = urlsplit(endpoint)
    host = (parts.hostname or "").lower()
    if not host or parts.username or parts.password:
        raise PushInputError("endpoint", _("Must be the https:// URL of a push service."))
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    loopback = host in LOOPBACK_HOSTS or (literal is not None and literal.is_loopback)
    if parts.scheme == "http" and loopback and _loopback_http_allowed():
        return endpoint
    private = loopback or (literal is not None and not literal.is_global)
    if parts.scheme != "https" or private:
        raise PushInputError("endpoint", _("Must be the https:// URL of a push service."))
    return endpoint


def check_keys(p256dh: str, auth: str) -> tuple[str, str]:
    """The browser's P-256 public key (65 bytes) and auth secret (16 bytes), base64url."""
    try:
        point = _b64url_decode(p256dh)
    except (ValueError, binascii.Error):
        point = b""
    if len(point) != 65 or point[0] != 4:
        raise PushInputError("keys.p256dh", _("Must be a P-256 public key, base64url."))
    try:
        secret = _b64url_decode(auth)
    except (ValueError, binascii.Error):
        secret = b""
    if len(secret) != 16:
        raise PushInputError("keys.auth", _("Must be a 16-byte secret, base64url."))
    return p256dh.rstrip("="), auth.rstrip("=")


def subscribe(
    *, actor: Actor, endpoint: str, p256dh: str, auth: str, language: str
) -> PushSubscription:
    """Store (or update) the browser's subscription, tied to `actor`. Idempotent per
    endpoint: the same browser subscribing again, or from another identity (someone signing
    in), keeps one row, which then belongs to the latest identity."""
    endpoint = check_endpoint(endpoint)
    p256dh, auth = check_keys(p256dh, auth)
    identity = actor.identity()
    values = {"identity": identity, "p256dh": p256dh, "auth": auth, "language": language[:10]}
    try:
        with transaction.atomic():
            row, _created = PushSubscription.objects.update_or_create(
                endpoint=endpoint, defaults=values
            )
    except IntegrityError:  # the same endpoint subscribed concurrently: update that one
        PushSubscription.objects.filter(endpoint=endpoint).update(**values)
        row = PushSubscription.objects.get(endpoint=endpoint)
    return row


def unsubscribe(*, actor: Actor, endpoint: str) -> int:
    """Forget the caller's subscription of this endpoint (another identity's stays)."""
    deleted, _kinds = PushSubscription.objects.filter(
        endpoint=endpoint, identity=actor.identity()
    ).delete()
    return deleted


# --- Who hears of an event -------------------------------------------------------------------


def _follower_subscriptions(event: TicketEvent, ticket: Ticket) -> list[PushSubscription]:
    if event.type == events.COMMENT_CREATED:
        if not event.data.get("official"):
            return []
        # A reply hidden since it was posted is not pushed.
        if not Comment.objects.filter(
            pk=event.data.get("id"), visibility=Comment.Visibility.VISIBLE, shadow=False
        ).exists():
            return []
    elif event.type != events.TICKET_STATUS_CHANGED:
        return []
    followers = Follow.objects.filter(ticket=ticket)
    subscriptions = PushSubscription.objects.filter(identity_id__in=followers.values("identity_id"))
    if event.actor_id is not None:
        # Nobody is told of their own change or reply.
        subscriptions = subscriptions.exclude(identity_id=event.actor_id)
    return list(subscriptions.order_by("pk"))


def _alert_subscriptions(ticket: Ticket) -> list[PushSubscription]:
    """Owners of active area alerts matching the ticket: the accounts with the alert's
    (confirmed) address, when they subscribed a browser to push."""
    alerts = AreaSubscription.objects.filter(
        confirmed_at__isnull=False, unsubscribed_at__isnull=True
    ).prefetch_related("service_types")
    emails = {
        alert.email.lower()
        for alert in alerts.select_related("jurisdiction")
        if alert.matches(ticket)
    }
    if not emails:
        return []
    by_email = Q()
    for email in emails:
        by_email |= Q(email__iexact=email)
    users = User.objects.filter(by_email, is_active=True)
    return list(
        PushSubscription.objects.filter(identity__user__in=users)
        .exclude(identity_id=ticket.reporter_id)
        .order_by("pk")
    )


def queue_for_event(event: TicketEvent, ticket: Ticket) -> int:
    """One delivery per subscription that should hear of `event`, each committed with its
    enqueued send. A second run adds nothing (unique per subscription and event)."""
    if not enabled():
        return 0
    if event.type == events.TICKET_CREATED:
        targets, reason = _alert_subscriptions(ticket), "alert"
    else:
        targets, reason = _follower_subscriptions(event, ticket), "follow"
    queued = 0
    for subscription in targets:
        try:
            with transaction.atomic():
                delivery = PushDelivery.objects.create(
                    subscription=subscription, event=event, reason=reason
                )
                jobs.send_push(delivery.pk)
        except IntegrityError:
            continue  # queued by an earlier run
        queued += 1
    return queued


# --- The message -----------------------------------------------------------------------------


def _language(subscription: PushSubscription) -> str:
    user = subscription.identity.user
    pref = preference(user)
    if pref is not None and pref.language:
        return pref.language
    return subscription.language or settings.LANGUAGE_CODE


def _short(text: str) -> str:
    text = " ".join(redact(text).split())
    return text if len(text) <= TITLE_MAX else text[: TITLE_MAX - 1].rstrip() + "…"


def payload(delivery: PushDelivery) -> dict[str, str]:
    """`{"title", "body", "url", "tag"}`: public facts of the ticket, in the recipient's
    language. Never who did it: no name, address or contact of anyone."""
    event = delivery.event
    ticket = event.ticket
    values = {"id": ticket.pk, "title": _short(ticket.title)}
    with translation.override(_language(delivery.subscription)):
        if event.type == events.TICKET_STATUS_CHANGED:
            status = Ticket.Status(event.data.get("to", ticket.status)).label
            title = _("#%(id)s is now %(status)s") % {**values, "status": status}
            body = values["title"]
        elif event.type == events.COMMENT_CREATED:
            title = _("Official reply on #%(id)s") % values
            body = values["title"]
        else:
            title = _("New report #%(id)s near you") % values
            body = f"{values['title']} · {ticket.service_type.local_name}"
        return {
            "title": str(title),
            "body": str(body),
            "url": f"/tickets/{ticket.pk}/",
            "tag": f"ticket-{ticket.pk}",
        }


# --- Sending (the task body) -----------------------------------------------------------------


def _max_attempts() -> int:
    return int(getattr(settings, "FIXLINE_PUSH_MAX_ATTEMPTS", 6))


def retry_delay(attempt: int) -> timedelta:
    base = int(getattr(settings, "FIXLINE_PUSH_RETRY_BASE_SECONDS", 15))
    return timedelta(seconds=min(base * 2 ** max(attempt - 1, 0), 3600))


def _post(delivery: PushDelivery, key: Vapid01) -> tuple[int | None, str]:
    """(HTTP status of the push service, or None when it could not be reached; error)."""
    subscription = delivery.subscription
    try:
        response = webpush(
            subscription_info={
                "endpoint": subscription.endpoint,
                "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
            },
            data=json.dumps(payload(delivery), ensure_ascii=False),
            vapid_private_key=key,
            vapid_claims={"sub": str(getattr(settings, "FIXLINE_VAPID_SUBJECT", ""))},
            content_encoding="aes128gcm",
            ttl=PUSH_TTL,
            timeout=SEND_TIMEOUT_SECONDS,
        )
    except WebPushException as exc:
        response = exc.response
        status = response.status_code if response is not None else None
        return status, f"WebPushException: {exc}"[:2000]
    except requests.RequestException as exc:
        return None, f"{type(exc).__name__}: {exc}"[:2000]
    return response.status_code, ""


def send(delivery_id: int) -> str:
    claimed = PushDelivery.objects.filter(
        pk=delivery_id, status=PushDelivery.Status.PENDING
    ).update(status=PushDelivery.Status.SENDING, attempts=F("attempts") + 1)
    if not claimed:
        return "skipped"  # sent, being sent, given up, or its subscription is gone
    delivery = PushDelivery.objects.select_related(
        "subscription__identity__user", "event__ticket__service_type"
    ).get(pk=delivery_id)
    config = vapid()
    if config is None:
        PushDelivery.objects.filter(pk=delivery_id).update(
            status=PushDelivery.Status.FAILED, last_error="push is not configured"
        )
        return "off"
    status, error = _post(delivery, config[0])
    if status is not None and 200 <= status < 300:
        PushDelivery.objects.filter(pk=delivery_id).update(
            status=PushDelivery.Status.SENT, sent_at=timezone.now(), last_error=""
        )
        return "sent"
    if status in (404, 410):
        # The browser unsubscribed or the subscription expired: it will never work again.
        PushSubscription.objects.filter(pk=delivery.subscription_id).delete()
        return "gone"
    retryable = status is None or status >= 500 or status == 429
    if not retryable or delivery.attempts >= _max_attempts():
        PushDelivery.objects.filter(pk=delivery_id).update(
            status=PushDelivery.Status.FAILED, last_error=error
        )
        log.warning(
            "giving up on push %s after %s attempts: %s", delivery_id, delivery.attempts, error
        )
        return "failed"
    retry_at = timezone.now() + retry_delay(delivery.attempts)
    with transaction.atomic():
        PushDelivery.objects.filter(pk=delivery_id).update(
            status=PushDelivery.Status.PENDING, last_error=error
        )
        jobs.send_push(delivery_id, run_after=retry_at)
    log.info(
        "push %s failed (attempt %s), retry at %s: %s",
        delivery_id,
        delivery.attempts,
        retry_at,
        error,
    )
    return "retry"
