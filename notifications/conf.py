"""The notifications' settings, read from `FIXLINE` (project/settings.py) when they are used,
with their types (mypy knows FIXLINE's values only as `object`)."""

from __future__ import annotations

from typing import TypeVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

T = TypeVar("T")


def _setting(name: str, kind: type[T]) -> T:
    value = settings.FIXLINE[name]
    if not isinstance(value, kind):
        raise ImproperlyConfigured(f'FIXLINE["{name}"] must be a {kind.__name__}: {value!r}')
    return value


def site_url() -> str:
    """Absolute links in e-mail start with this (no trailing slash)."""
    return _setting("SITE_URL", str)


def notify_batch_seconds() -> int:
    return _setting("NOTIFY_BATCH_SECONDS", int)


def is_it_fixed_delay() -> int:
    return _setting("IS_IT_FIXED_DELAY", int)


def agent_digest_hour() -> int:
    return _setting("AGENT_DIGEST_HOUR", int)


def email_max_attempts() -> int:
    return _setting("EMAIL_MAX_ATTEMPTS", int)


def email_retry_base_seconds() -> int:
    return _setting("EMAIL_RETRY_BASE_SECONDS", int)


def email_per_recipient_hourly(kind: str) -> int:
    """At most this many messages of `kind` to one address per hour (the outbox drops the
    rest): several accounts sharing an address, or a form submitted in a loop, cannot
    flood an inbox."""
    limits = _setting("EMAIL_PER_RECIPIENT_HOURLY", dict)
    value = limits.get(kind, limits["default"])
    if not isinstance(value, int):
        raise ImproperlyConfigured(f'FIXLINE["EMAIL_PER_RECIPIENT_HOURLY"]["{kind}"]: {value!r}')
    return value


def email_verify_max_age() -> int:
    """Seconds a verification link works."""
    return _setting("EMAIL_VERIFY_MAX_AGE", int)
