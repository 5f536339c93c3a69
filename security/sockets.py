"""The socket handshake's gates (docs/security.md, "Round 2: proxies and sockets"):

* `OriginAllowList`: a browser page may open a socket only from an exact
  `scheme://host:port` origin: FIXLINE["WS_ALLOWED_ORIGINS"] when set, otherwise the site's
  own (FIXLINE_SITE_URL) and the socket's own origin (its `Host`, when ALLOWED_HOSTS allows
  it). Channels' `AllowedHostsOriginValidator` compared host names only, so a page on the
  same host at another port could read a moderator's feed.
* `SocketsPerAddress`: at most FIXLINE["WS_MAX_PER_ADDRESS"] open sockets per client address
  (`tickets.identity.client_ip`), counted in the process, or in Redis across processes when
  REDIS_URL is set; the next handshake is refused (HTTP 403) before anything is accepted.
* `SessionOnlyWithCookie`: Channels' session and auth stack only for a handshake that carries
  the session cookie; without one (every anonymous visitor of a ticket) the socket is
  anonymous at once: no session store, no user lookup, nothing kept per socket for them.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import uuid
import weakref
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http.cookie import parse_cookie
from django.http.request import split_domain_port, validate_host

from realtime import aredis
from realtime.consumers import SESSION_USER
from tickets.identity import client_ip

log = logging.getLogger(__name__)

DEFAULT_PORTS = {"http": 80, "https": 443}


def _options() -> Mapping[str, Any]:
    return settings.FIXLINE


def _header(scope: Mapping[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers") or ():
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def normalise_origin(value: str | None) -> str | None:
    """`scheme://host:port`, lower case, the default port written out; None for anything
    that is not an http(s) origin (including the opaque `null`)."""
    if not value:
        return None
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname or parts.path not in ("", "/"):
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{port or DEFAULT_PORTS[scheme]}"


def allowed_origins(scope: Mapping[str, Any]) -> set[str]:
    configured = [normalise_origin(o) for o in _options().get("WS_ALLOWED_ORIGINS") or ()]
    if configured:
        return {o for o in configured if o}
    allowed = {normalise_origin(str(_options().get("SITE_URL") or ""))}
    host = _header(scope, b"host")
    if host:
        # The page's own origin: the browser, not the page, writes Host.
        domain, _port = split_domain_port(host)
        if domain and validate_host(domain, settings.ALLOWED_HOSTS):
            scheme = "https" if scope.get("scheme") in ("wss", "https") else "http"
            allowed.add(normalise_origin(f"{scheme}://{host}"))
    else:
        # No Host at all (never a browser: Channels' test communicator): the allowed hosts at
        # their default ports.
        for name in settings.ALLOWED_HOSTS:
            if "*" not in name and not name.startswith("."):
                allowed.update(normalise_origin(f"{s}://{name}") for s in DEFAULT_PORTS)
    return {o for o in allowed if o}


def origin_allowed(origin: str | None, scope: Mapping[str, Any]) -> bool:
    if origin is None:
        return False
    if origin in allowed_origins(scope):
        return True
    # `scheme://host:*` (any port of that host) only when configured so explicitly: the
    # benchmarks' several processes on loopback (tests/bench/harness.py).
    any_port = origin.rsplit(":", 1)[0] + ":*"
    return any_port in (_options().get("WS_ALLOWED_ORIGINS") or ())


class OriginAllowList:
    """ASGI: refuses (HTTP 403) a handshake whose Origin is not exactly allowed."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if not origin_allowed(normalise_origin(_header(scope, b"origin")), scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.inner(scope, receive, send)


# --- Sockets per address ---------------------------------------------------------------------
REDIS_TTL = 90  # seconds: a crashed process's sockets stop counting after this
REDIS_REFRESH = 30


class _LocalCount:
    """Per process (the embedded default)."""

    def __init__(self) -> None:
        self.open: dict[str, int] = {}

    async def acquire(self, address: str, limit: int) -> str | None:
        if self.open.get(address, 0) >= limit:
            return None
        self.open[address] = self.open.get(address, 0) + 1
        return address

    async def release(self, token: str) -> None:
        left = self.open.get(token, 0) - 1
        if left > 0:
            self.open[token] = left
        else:
            self.open.pop(token, None)


class _RedisCount:
    """Across processes: one sorted set per address, a member per open socket scored with its
    expiry; each process refreshes the scores of its own sockets while they are open."""

    def __init__(self, redis: Any) -> None:
        # The loop's shared asyncio client (`realtime.aredis`): its pool blocks instead of
        # failing when a reconnect storm has more handshakes counting at once than it has
        # connections (redis-py's default pool raised: 2,200 tracebacks in the bench).
        self.redis = redis
        self.mine: dict[str, str] = {}  # member -> key
        self.refresher: asyncio.Task[None] | None = None

    async def acquire(self, address: str, limit: int) -> str | None:
        digest = hashlib.sha256(f"{settings.SECRET_KEY}|{address}".encode()).hexdigest()[:32]
        key = f"fixline:ws:addr:{digest}"  # no raw address in Redis
        member = uuid.uuid4().hex
        now = time.time()
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.zremrangebyscore(key, "-inf", now)
                pipe.zadd(key, {member: now + REDIS_TTL})
                pipe.zcard(key)
                pipe.expire(key, REDIS_TTL)
                _removed, _added, count, _ttl = await pipe.execute()
            if count > limit:
                await self.redis.zrem(key, member)
                return None
        except Exception:  # Redis away: do not refuse everyone
            log.exception("counting sockets in Redis failed")
            return ""
        self.mine[member] = key
        if self.refresher is None or self.refresher.done():
            self.refresher = asyncio.get_running_loop().create_task(self._refresh())
        return member

    async def release(self, token: str) -> None:
        key = self.mine.pop(token, None)
        if key is None:
            return
        try:
            await self.redis.zrem(key, token)
        except Exception:
            log.exception("counting sockets in Redis failed")

    async def _refresh(self) -> None:
        while self.mine:
            await asyncio.sleep(REDIS_REFRESH)
            expires = time.time() + REDIS_TTL
            try:
                async with self.redis.pipeline(transaction=False) as pipe:
                    for member, key in list(self.mine.items()):
                        pipe.zadd(key, {member: expires}, xx=True)
                        pipe.expire(key, REDIS_TTL)
                    await pipe.execute()
            except Exception:
                log.exception("refreshing socket counts in Redis failed")


_counts: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LocalCount | _RedisCount] = (
    weakref.WeakKeyDictionary()
)


def _count() -> _LocalCount | _RedisCount:
    loop = asyncio.get_running_loop()
    count = _counts.get(loop)
    if count is None:
        redis = aredis.client()
        count = _counts[loop] = _RedisCount(redis) if redis is not None else _LocalCount()
    return count


class SocketsPerAddress:
    """ASGI: counts the socket for its whole life; refuses the handshake over the cap."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        limit = int(_options().get("WS_MAX_PER_ADDRESS", 0))
        if limit <= 0:
            return await self.inner(scope, receive, send)
        count = _count()
        token = await count.acquire(client_ip(scope), limit)
        if token is None:
            return await WebsocketDenier()(scope, receive, send)
        try:
            return await self.inner(scope, receive, send)
        finally:
            if token:
                await count.release(token)


# --- No session cookie, no session -----------------------------------------------------------
async def _anonymous() -> AnonymousUser:
    """The session's account for a socket that came without a session: always anonymous."""
    return AnonymousUser()


def cookies_of(scope: Mapping[str, Any]) -> dict[str, str]:
    """The handshake's cookies, parsed as Django parses a request's."""
    found: dict[str, str] = {}
    for key, value in scope.get("headers") or ():
        if key == b"cookie":
            found.update(parse_cookie(bytes(value).decode("latin-1")))
    return found


def has_session_cookie(scope: Mapping[str, Any]) -> bool:
    name = f"{settings.SESSION_COOKIE_NAME}=".encode("latin-1")
    for key, value in scope.get("headers") or ():
        if key == b"cookie" and name in bytes(value):
            return True
    return False


class SessionOnlyWithCookie:
    """ASGI: `with_session` (Channels' `AuthMiddlewareStack` and the session guard) for a
    handshake carrying the session cookie, `without` otherwise. A join storm is thousands of
    cookie-less handshakes; Channels' stack built a session store, a lazy user and a database
    hop for each, to find them anonymous (docs/performance.md, "Storms")."""

    def __init__(self, with_session: Any, without: Any) -> None:
        self.with_session = with_session
        self.without = without

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if has_session_cookie(scope):
            return await self.with_session(scope, receive, send)
        # The cookies are still read (Channels' CookieMiddleware does it in the other branch):
        # an anonymous reporter's browser cookie keeps its taken-down ticket (tickets/consumers).
        cookies = cookies_of(scope)
        scope = {**scope, "cookies": cookies, "user": AnonymousUser(), SESSION_USER: _anonymous}
        return await self.without(scope, receive, send)
