"""The storm banner: the emergency events active now, shown on every page (base.html).

Every page renders it, the hot anonymous ticket page included, so it costs at most one cache
read per request and a database query only when the cache is cold: the events that have not
ended are cached for `TTL` seconds, and saving or deleting an event clears the cache (the
signal receivers below). Whether one is active now is decided per request from the cached
start and end times, so an event that starts or ends on schedule needs no invalidation."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict

from django.core.cache import cache
from django.db import DatabaseError
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest
from django.utils import timezone

from tickets.models import EmergencyEvent

CACHE_KEY = "fixline:storm-banner:v1"
TTL = 60  # seconds; saves and deletes clear it at once (in this process's cache backend)
MAX_EVENTS = 3


class StormEvent(TypedDict):
    slug: str
    name: str
    starts_at: datetime
    ends_at: datetime | None


def _not_ended() -> list[StormEvent]:
    cached = cache.get(CACHE_KEY)
    if cached is None:
        now = timezone.now()
        rows = (
            EmergencyEvent.objects.filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
            .order_by("starts_at", "pk")
            .values("slug", "name", "starts_at", "ends_at")[:MAX_EVENTS]
        )
        try:
            cached = [StormEvent(**row) for row in rows]
        except DatabaseError:
            # The banner is not worth a page: a page that needs no database (the login form)
            # still renders while it is down, without the banner (and nothing is cached).
            return []
        cache.set(CACHE_KEY, cached, TTL)
    return list(cached)


def active_events(at: datetime | None = None) -> list[StormEvent]:
    """The events active at `at` (now), oldest first."""
    at = at or timezone.now()
    return [
        e
        for e in _not_ended()
        if e["starts_at"] <= at and (e["ends_at"] is None or at < e["ends_at"])
    ]


class _Lazy:
    """Read on first use in the template only (a page that never renders the banner, such
    as a redirect, pays nothing); then kept for the rest of the request."""

    def __init__(self) -> None:
        self._events: list[StormEvent] | None = None

    def __call__(self) -> list[StormEvent]:
        if self._events is None:
            self._events = active_events()
        return self._events


def context_processor(request: HttpRequest) -> dict[str, Any]:
    return {"storm_events": _Lazy()}


def clear(**_kwargs: Any) -> None:
    cache.delete(CACHE_KEY)


def register() -> None:
    """Called from TicketsConfig.ready(): an event declared, edited or ended shows at once."""
    post_save.connect(clear, sender=EmergencyEvent, dispatch_uid="storm-banner-save")
    post_delete.connect(clear, sender=EmergencyEvent, dispatch_uid="storm-banner-delete")
