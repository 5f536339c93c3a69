"""Counters take a side road: views are absorbed (in Redis when REDIS_URL is set, in process
otherwise) and flushed to the database in batches; changes to any counter mark the ticket
dirty, and a flusher sends at most one `ticket.counters` message per ticket per second.
`watching` is the number of live sockets on a ticket, across every process.

Nothing here is durable on purpose: a lost view in a crash is acceptable, a database write
per view is not.

realtime knows no model: the database side of the counters (adding absorbed views, reading
a ticket's stored counters) is handed over by the tickets app at start-up
(`register_flusher`, called from `tickets/apps.py`; the functions are in
`tickets/counters.py`).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import weakref
from collections import defaultdict
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import cache as django_cache
from django.db import close_old_connections

from realtime import aredis, events, publish

log = logging.getLogger(__name__)

_lock = threading.Lock()
_pending_views: dict[int, int] = defaultdict(int)
_dirty: set[int] = set()
_last_sent: dict[int, float] = {}
_watchers: dict[int, dict[str, float]] = defaultdict(dict)
# When each ticket's expired watchers were last swept out: at most once a second, not on
# every handshake (5,000 joins made that sweep O(N²): docs/performance.md, "Storms").
_swept: dict[int, float] = {}
SWEEP_EVERY = 1.0
# Sockets served by this process: their presence entries are refreshed by the flusher's
# heartbeat, so a crashed process's sockets expire after PRESENCE_TTL_SECONDS.
_local: dict[int, set[str]] = defaultdict(set)

PREFIX = "fixline:counters:"

# The database side, registered by the tickets app (see `register_flusher`).
ViewsWriter = Callable[[dict[int, int]], None]
CountsReader = Callable[[list[int]], dict[int, events.TicketCounters]]
_write_views: ViewsWriter | None = None
_read_counts: CountsReader | None = None


def register_flusher(*, write_views: ViewsWriter, read_counts: CountsReader) -> None:
    """Hand realtime the database side of the counters: `write_views(increments)` adds
    absorbed views (ticket id -> views) to the stored counts; `read_counts(ticket_ids)`
    returns the stored counters of those tickets (`watching` left at 0: it is counted here;
    unknown ids left out). Called once at start-up by the app that owns the tickets."""
    global _write_views, _read_counts
    _write_views = write_views
    _read_counts = read_counts


def _options() -> Mapping[str, Any]:
    """settings.FIXLINE. django-stubs types that dict's values as `object` (the literal mixes
    types); the options read here are the numbers documented in project/settings.py."""
    return settings.FIXLINE


@cache
def _redis() -> Any:
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return None
    import redis  # only with REDIS_URL set: the embedded setup runs without it

    # Blocking: a crowd's request threads wait for a connection instead of failing past
    # redis-py's default of 100 ("Too many connections").
    pool = redis.BlockingConnectionPool.from_url(url, max_connections=200, timeout=5)
    return redis.Redis(connection_pool=pool)


def in_process() -> bool:
    """True when the counters live in this process (no REDIS_URL): `watch`, `unwatch` and
    `live` are then a few dict operations under a lock, cheap enough for the event loop."""
    return _redis() is None


def reset_for_tests() -> None:
    global _last_views_flush
    _last_views_flush = 0.0
    with _lock:
        _pending_views.clear()
        _dirty.clear()
        _last_sent.clear()
        _watchers.clear()
        _swept.clear()
        _local.clear()
    _redis.cache_clear()


# --- Writers (called by the write layer and consumers) -------------------------------------


def changed(ticket_id: int) -> None:
    r = _redis()
    if r is not None:
        r.sadd(PREFIX + "dirty", ticket_id)
    else:
        with _lock:
            _dirty.add(ticket_id)


def _view_key(ticket_id: int, visitor_key: str) -> str:
    return f"view:{ticket_id}:{visitor_key}"


# `record_view` in one round trip: the visitor's 30-minute mark (the cache entry `add` would
# write: Django's key, the integer 1 as Django's serializer stores it) and the count.
_VIEW_SCRIPT = """
if redis.call('SET', KEYS[1], 1, 'NX', 'EX', ARGV[1]) then
  redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
  redis.call('SADD', KEYS[3], ARGV[2])
  return 1
end
return 0
"""


async def arecord_view(*, ticket_id: int, visitor_key: str) -> bool:
    """`record_view` for the event loop (no thread): in Redis, one script; without Redis the
    in-process counters, which are a few dict operations."""
    r = aredis.client()
    if r is None:
        return record_view(ticket_id=ticket_id, visitor_key=visitor_key)
    ttl: int = _options()["VIEW_DEDUP_SECONDS"]
    mark = django_cache.make_and_validate_key(_view_key(ticket_id, visitor_key))
    keys = (mark, PREFIX + "views", PREFIX + "dirty")
    return bool(await r.eval(_VIEW_SCRIPT, len(keys), *keys, ttl, ticket_id))


def record_view(*, ticket_id: int, visitor_key: str) -> bool:
    """Count a page load unless this visitor was counted on this ticket in the last 30 min."""
    ttl: int = _options()["VIEW_DEDUP_SECONDS"]
    if not django_cache.add(_view_key(ticket_id, visitor_key), 1, timeout=ttl):
        return False
    r = _redis()
    if r is not None:
        pipe = r.pipeline()
        pipe.hincrby(PREFIX + "views", ticket_id, 1)
        pipe.sadd(PREFIX + "dirty", ticket_id)
        pipe.execute()
    else:
        with _lock:
            _pending_views[ticket_id] += 1
            _dirty.add(ticket_id)
    return True


def pending_views(ticket_id: int) -> int:
    r = _redis()
    if r is not None:
        return int(r.hget(PREFIX + "views", ticket_id) or 0)
    with _lock:
        return _pending_views.get(ticket_id, 0)


def watch(ticket_id: int, channel_name: str) -> None:
    """A socket joined (or sent its heartbeat)."""
    with _lock:
        _local[ticket_id].add(channel_name)
    ttl: int = _options()["PRESENCE_TTL_SECONDS"]
    expires = time.time() + ttl
    r = _redis()
    if r is not None:
        pipe = r.pipeline()
        pipe.zadd(f"{PREFIX}watch:{ticket_id}", {channel_name: expires})
        pipe.expire(f"{PREFIX}watch:{ticket_id}", ttl * 2)
        pipe.sadd(PREFIX + "dirty", ticket_id)
        pipe.execute()
    else:
        with _lock:
            _watchers[ticket_id][channel_name] = expires
            _dirty.add(ticket_id)


def unwatch(ticket_id: int, channel_name: str) -> None:
    with _lock:
        local = _local.get(ticket_id)
        if local is not None:
            local.discard(channel_name)
            if not local:
                del _local[ticket_id]
    r = _redis()
    if r is not None:
        pipe = r.pipeline()
        pipe.zrem(f"{PREFIX}watch:{ticket_id}", channel_name)
        pipe.sadd(PREFIX + "dirty", ticket_id)
        pipe.execute()
    else:
        with _lock:
            _watchers[ticket_id].pop(channel_name, None)
            _dirty.add(ticket_id)


def heartbeat() -> None:
    """Refresh the presence of every socket this process serves, in one round trip."""
    with _lock:
        local = {tid: list(names) for tid, names in _local.items() if names}
    if not local:
        return
    ttl: int = _options()["PRESENCE_TTL_SECONDS"]
    expires = time.time() + ttl
    r = _redis()
    if r is not None:
        pipe = r.pipeline(transaction=False)
        for tid, names in local.items():
            pipe.zadd(f"{PREFIX}watch:{tid}", dict.fromkeys(names, expires))
            pipe.expire(f"{PREFIX}watch:{tid}", ttl * 2)
            # Entries of crashed processes fall out of the count; drop them for good.
            pipe.zremrangebyscore(f"{PREFIX}watch:{tid}", "-inf", time.time())
        pipe.execute()
    else:
        with _lock:
            for tid, names in local.items():
                for name in names:
                    _watchers[tid][name] = expires


def watching(ticket_id: int) -> int:
    now = time.time()
    r = _redis()
    if r is not None:
        return int(r.zcount(f"{PREFIX}watch:{ticket_id}", now, "+inf"))
    with _lock:
        current = _watchers.get(ticket_id, {})
        if now - _swept.get(ticket_id, 0.0) >= SWEEP_EVERY:
            current = {k: v for k, v in current.items() if v > now}
            _watchers[ticket_id] = current
            _swept[ticket_id] = now
        return len(current)


# --- The flusher -----------------------------------------------------------------------------


_last_views_flush = 0.0


def _views_due(interval: float) -> bool:
    """Absorbed views go to the database at most once per `interval`, across every process
    (the flusher ticks four times per interval, for the messages)."""
    global _last_views_flush
    r = _redis()
    if r is not None:
        return bool(r.set(PREFIX + "views-flush", 1, nx=True, px=max(1, int(interval * 1000))))
    now = time.monotonic()
    with _lock:
        if now - _last_views_flush < interval:
            return False
        _last_views_flush = now
        return True


def _take_views() -> dict[int, int]:
    r = _redis()
    if r is not None:
        # Atomic hand-over: exactly one process flushes each increment.
        pipe = r.pipeline(transaction=True)
        pipe.hgetall(PREFIX + "views")
        pipe.delete(PREFIX + "views")
        raw, _deleted = pipe.execute()
        return {int(k): int(v) for k, v in raw.items()}
    with _lock:
        taken = dict(_pending_views)
        _pending_views.clear()
        return taken


def _take_dirty(interval: float) -> list[int]:
    """Dirty tickets whose last counters message is at least `interval` old (globally)."""
    now = time.time()
    r = _redis()
    ready: list[int] = []
    if r is not None:
        members = [int(m) for m in r.smembers(PREFIX + "dirty")]
        for tid in members:
            # One message per ticket per interval across every process.
            if r.set(f"{PREFIX}sent:{tid}", 1, nx=True, px=int(interval * 1000)):
                r.srem(PREFIX + "dirty", tid)
                ready.append(tid)
        return ready
    with _lock:
        for tid in list(_dirty):
            if now - _last_sent.get(tid, 0.0) >= interval:
                _dirty.discard(tid)
                _last_sent[tid] = now
                ready.append(tid)
    return ready


def snapshot(ticket_id: int) -> events.TicketCounters | None:
    """Current counters of one ticket, as in `hello` and `ticket.counters`; None if unknown
    (or if no app registered the database side)."""
    if _read_counts is None:
        return None
    counts = _read_counts([ticket_id]).get(ticket_id)
    if counts is None:
        return None
    return live(ticket_id, counts)


def live(ticket_id: int, stored: events.TicketCounters) -> events.TicketCounters:
    """Stored counters made current: views not yet written, sockets watching now."""
    counts: events.TicketCounters = {**stored}
    counts["views"] += pending_views(ticket_id)
    counts["watching"] = watching(ticket_id)
    return counts


def flush(interval: float | None = None) -> list[dict[str, Any]]:
    """Write absorbed views to the database, then broadcast the counters of dirty tickets.
    Returns the messages sent (for tests and benchmarks). Until the database side is
    registered, nothing is taken: views stay pending, tickets stay dirty."""
    if _write_views is None or _read_counts is None:
        return []
    every: float = _options()["COUNTERS_FLUSH_SECONDS"] if interval is None else interval
    views = _take_views() if _views_due(every) else {}
    if views:
        _write_views(views)
    sent: list[dict[str, Any]] = []
    dirty = _take_dirty(every)
    if not dirty:
        return sent
    for tid, counts in _read_counts(dirty).items():
        counts["views"] += pending_views(tid)
        counts["watching"] = watching(tid)
        message = events.envelope(type=events.TICKET_COUNTERS, ticket=tid, data=counts)
        publish.send_to_groups([publish.ticket_group(tid)], message)
        sent.append(message)
    return sent


_flushers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Task[None]] = (
    weakref.WeakKeyDictionary()
)


def ensure_flusher() -> None:
    """Start the flusher on the running event loop once (each daphne process runs one)."""
    loop = asyncio.get_running_loop()
    task = _flushers.get(loop)
    if task is not None and not task.done():
        return
    _flushers[loop] = loop.create_task(_run_flusher(), name="fixline-counters-flusher")


async def _run_flusher() -> None:
    def flush_once(beat: bool) -> None:
        close_old_connections()
        try:
            if beat:
                heartbeat()
            flush()
        finally:
            close_old_connections()

    interval: float = _options()["COUNTERS_FLUSH_SECONDS"]
    beat_every = _options()["PRESENCE_TTL_SECONDS"] / 3
    last_beat = time.monotonic()
    while True:
        await asyncio.sleep(interval / 4)
        beat = time.monotonic() - last_beat >= beat_every
        if beat:
            last_beat = time.monotonic()
        try:
            # Thread-sensitive: the same thread (and database connection) as the consumers'
            # own reads, instead of a new connection in whichever pool thread runs it.
            await sync_to_async(flush_once)(beat)
        except Exception:  # keep flushing after a transient database or Redis error
            log.exception("counters flush failed")
