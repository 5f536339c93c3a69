"""Per-identity rate limits in the shared cache (Redis in production, so every process
counts together). Fixed windows: simple, and good enough against floods."""

from __future__ import annotations

import time

from django.core.cache import cache
from django.utils.translation import gettext as _

from tickets.errors import RateLimited


def hit(*, scope: str, key: str, limit: int, window: int) -> None:
    """Count one `scope` action by `key`; raise RateLimited past `limit` per `window` s."""
    if limit <= 0:
        raise RateLimited(_("This action is not allowed right now."), retry_after=window)
    now = time.time()
    window_start = int(now // window) * window
    cache_key = f"rl:{scope}:{key}:{window}:{window_start}"
    incr_expiring = getattr(cache, "incr_expiring", None)  # production's Redis: one round trip
    if incr_expiring is not None:
        count = incr_expiring(cache_key, window + 5)
    else:
        cache.add(cache_key, 0, timeout=window + 5)
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add and incr
            cache.set(cache_key, 1, timeout=window + 5)
            count = 1
    if count > limit:
        retry_after = int(window_start + window - now) + 1
        raise RateLimited(
            _("Too many requests: try again in %(seconds)s seconds.") % {"seconds": retry_after},
            retry_after=retry_after,
        )


def slow_mode(*, scope: str, key: str, seconds: int) -> None:
    """At most one action per `seconds` (an emergency's slow mode)."""
    if seconds <= 0:
        return
    cache_key = f"slow:{scope}:{key}"
    if not cache.add(cache_key, time.time(), timeout=seconds):
        started = cache.get(cache_key) or time.time()
        retry_after = int(started + seconds - time.time()) + 1
        raise RateLimited(
            _("Slow mode is on: one comment every %(seconds)s seconds.") % {"seconds": seconds},
            retry_after=retry_after,
        )
