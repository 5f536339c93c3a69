"""Signed links: they work without logging in, reveal nothing (no e-mail address inside)
and cannot be forged. Each purpose has its own salt, so one link never opens another door."""

from __future__ import annotations

from typing import Any

from django.core import signing
from django.urls import reverse

from notifications import conf

FOLLOW_UNSUBSCRIBE = "fixline.notifications.unfollow"
ALERT_CONFIRM = "fixline.notifications.alert-confirm"
ALERT_UNSUBSCRIBE = "fixline.notifications.alert-unsubscribe"
IS_IT_FIXED = "fixline.notifications.is-it-fixed"
VERIFY_EMAIL = "fixline.notifications.verify-email"

ALERT_CONFIRM_MAX_AGE = 7 * 24 * 3600
IS_IT_FIXED_MAX_AGE = 90 * 24 * 3600


def absolute(path: str) -> str:
    return conf.site_url() + path


def make(salt: str, **values: Any) -> str:
    return signing.dumps(values, salt=salt, compress=True)


def read(token: str, salt: str, *, max_age: int | None = None) -> dict[str, Any] | None:
    """The signed values, or None for a forged, damaged or expired token."""
    if not isinstance(token, str) or len(token) > 500:
        return None
    try:
        values = signing.loads(token, salt=salt, max_age=max_age)
    except signing.BadSignature:
        return None
    return values if isinstance(values, dict) else None


def follow_unsubscribe_url(identity_id: int, ticket_id: int) -> str:
    token = make(FOLLOW_UNSUBSCRIBE, i=identity_id, t=ticket_id)
    return absolute(reverse("notifications:unfollow", args=[token]))


def alert_confirm_url(subscription_id: int) -> str:
    token = make(ALERT_CONFIRM, s=subscription_id)
    return absolute(reverse("notifications:alert-confirm", args=[token]))


def alert_unsubscribe_url(subscription_id: int) -> str:
    token = make(ALERT_UNSUBSCRIBE, s=subscription_id)
    return absolute(reverse("notifications:alert-unsubscribe", args=[token]))


def is_it_fixed_url(check_id: int, answer: str) -> str:
    token = make(IS_IT_FIXED, c=check_id)
    return absolute(reverse(f"notifications:fixed-{answer}", args=[token]))


def verify_email_url(verification_id: int) -> str:
    token = make(VERIFY_EMAIL, v=verification_id)
    return absolute(reverse("notifications:verify-email", args=[token]))


def ticket_url(ticket_id: int) -> str:
    return absolute(f"/tickets/{ticket_id}/")
