"""The outbox. `queue()` renders a message in the recipient's language and stores it once per
(recipient, key), enqueuing its send in the same transaction; `send()` is the task body: it
claims the row, hands the message to the transport, and marks it sent only afterwards. A
failure puts the row back with an exponential back-off; a sent row is never sent again.

Two rules hold for every message, whoever queues it: nothing but verification mail goes to
an address nobody has verified, and at most `EMAIL_PER_RECIPIENT_HOURLY` messages of one kind
go to one address per hour (docs/notifications.md)."""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from typing import Any
from urllib.parse import urlparse

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation

from notifications import conf, jobs
from notifications.models import AddressVerification, Delivery

log = logging.getLogger(__name__)

TEMPLATE_DIR = "notifications/email"

# The kinds that prove an address: they are the only mail an unverified address receives.
VERIFICATION_KINDS = frozenset({"verify_email", "alert_confirm"})


def normalize(address: str) -> str:
    return address.strip().lower()


def is_verified(address: str) -> bool:
    return AddressVerification.objects.filter(
        email=normalize(address), verified_at__isnull=False
    ).exists()


def _over_limit(recipient: str, kind: str) -> bool:
    since = timezone.now() - timedelta(hours=1)
    sent = Delivery.objects.filter(recipient=recipient, kind=kind, created_at__gte=since)
    return sent.count() >= conf.email_per_recipient_hourly(kind)


def render(kind: str, context: dict[str, Any], language: str) -> tuple[str, str, str]:
    """Subject, text and HTML of one message, in `language`."""
    context = {**context, "site_url": conf.site_url()}
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = render_to_string(f"{TEMPLATE_DIR}/{kind}_subject.txt", context)
        text = render_to_string(f"{TEMPLATE_DIR}/{kind}.txt", context)
        html = render_to_string(f"{TEMPLATE_DIR}/{kind}.html", context)
    return " ".join(subject.split())[:300], text.strip() + "\n", html


def unsubscribe_headers(url: str) -> dict[str, str]:
    """RFC 2369 and RFC 8058: the mail client's one-click unsubscribe POSTs to `url`."""
    return {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def queue(
    *,
    recipient: str,
    key: str,
    kind: str,
    context: dict[str, Any],
    language: str,
    headers: dict[str, str] | None = None,
) -> Delivery | None:
    """Store the message and enqueue its send, once per (recipient, key). Call it inside the
    transaction that decided to send, so the decision and the send commit together."""
    recipient = normalize(recipient)
    if not recipient:
        return None
    if Delivery.objects.filter(recipient=recipient, key=key).exists():
        return None
    if kind not in VERIFICATION_KINDS and not is_verified(recipient):
        log.info("not sending %s %s: the address is not verified", kind, key)
        return None
    if _over_limit(recipient, kind):
        log.warning("not sending %s %s: too many %s messages to one address", kind, key, kind)
        return None
    subject, text, html = render(kind, {**context, "recipient_language": language}, language)
    try:
        with transaction.atomic():
            delivery = Delivery.objects.create(
                recipient=recipient,
                key=key,
                kind=kind,
                language=language,
                subject=subject,
                body_text=text,
                body_html=html,
                headers=headers or {},
                created_at=timezone.now(),  # read now: the hourly bound counts from it
            )
            jobs.send_delivery(delivery.pk)
    except IntegrityError:  # queued concurrently: the other one goes out
        return None
    return delivery


def _message_id(delivery: Delivery) -> str:
    digest = hashlib.sha256(f"{delivery.recipient}\n{delivery.key}".encode()).hexdigest()[:32]
    domain = urlparse(conf.site_url()).hostname or "fixline.invalid"
    return f"<{digest}.{delivery.pk}@{domain}>"


def build_message(delivery: Delivery) -> EmailMultiAlternatives:
    headers = {
        # The same Message-ID on every attempt: a receiving server or client that somehow got
        # two copies treats them as one message.
        "Message-ID": _message_id(delivery),
        "Auto-Submitted": "auto-generated",
        **delivery.headers,
    }
    message = EmailMultiAlternatives(
        subject=delivery.subject,
        body=delivery.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[delivery.recipient],
        headers=headers,
    )
    if delivery.body_html:
        message.attach_alternative(delivery.body_html, "text/html")
    return message


def retry_delay(attempt: int) -> timedelta:
    base = conf.email_retry_base_seconds()
    return timedelta(seconds=min(base * 2 ** max(attempt - 1, 0), 6 * 3600))


def send(delivery_id: int) -> str:
    claimed = Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.SENDING, attempts=F("attempts") + 1, next_attempt_at=None
    )
    if not claimed:
        return "skipped"  # already sent, being sent, given up, or gone
    delivery = Delivery.objects.get(pk=delivery_id)
    try:
        build_message(delivery).send(fail_silently=False)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if delivery.attempts >= conf.email_max_attempts():
            Delivery.objects.filter(pk=delivery_id).update(
                status=Delivery.Status.FAILED, last_error=error
            )
            log.error(
                "giving up on e-mail %s after %s attempts: %s",
                delivery.key,
                delivery.attempts,
                error,
            )
            return "failed"
        retry_at = timezone.now() + retry_delay(delivery.attempts)
        with transaction.atomic():
            Delivery.objects.filter(pk=delivery_id).update(
                status=Delivery.Status.PENDING, last_error=error, next_attempt_at=retry_at
            )
            jobs.send_delivery(delivery_id, run_after=retry_at)
        log.warning(
            "e-mail %s failed (attempt %s), retry at %s: %s",
            delivery.key,
            delivery.attempts,
            retry_at,
            error,
        )
        return "retry"
    Delivery.objects.filter(pk=delivery_id).update(
        status=Delivery.Status.SENT, sent_at=timezone.now(), last_error=""
    )
    return "sent"
