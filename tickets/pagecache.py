"""The anonymous ticket page, cached (issue 14: one shared link, a flash crowd).

Modelled on Discourse's anonymous cache: a ticket page rendered for a visitor with no session
is the same for every such visitor, so it is kept in Django's cache (locmem in the embedded
default, Redis in production, so every daphne process shares it) and served again without the
view, its queries or its template. What stays per visitor:

- the view is counted on every hit, as the view counts it (`services.ticket_view`: once per
  identity per 30 minutes, a cookie-less load is a new visitor);
- the CSRF token: the page is stored with a placeholder where the token was, and each hit gets
  the visitor's own token (Django's `get_token`, whose cookie CsrfViewMiddleware sets);
- everything else that is per visitor (their own held or hidden comments, the pressed "me too"
  and "thanks", the reporter's buttons) exists only for an identity that has written
  something: such visitors carry `fx_personal=1` (set on their first successful write, or on
  their first page load if their identity already has a row) and always get the view itself.
  The cookie only ever costs its holder speed: a stored page is always a neutral one.

Freshness: every durable event of a ticket (a comment, a status change, a hide, a takedown)
drops the ticket's generation key when its transaction commits, in the same place the write
layer broadcasts; a stored page is served only while the generation it was rendered under is
still the current one. A page rendered while a write commits is stored under the old
generation and never served. The time-to-live bounds what no event announces (counts, which
the socket's hello refreshes anyway, and "5 minutes ago").
One render at a time per page (the crowd's dogpile): when a page's `PAGE_CACHE_SECONDS` are
up, one request renders it again while the others keep getting the stored one, of the same
generation (so nothing an event changed); a page with no current copy (a comment just
invalidated it) is rendered by one request while the others wait up to `RENDER_WAIT` seconds
for it. Without that, 32 visitors arriving on an expired page rendered it 32 times at once.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Callable
from typing import Any, TypedDict

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.redis import RedisSerializer
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.csrf import get_token

from realtime import aredis
from tickets import config, services
from tickets.identity import actor_from_request
from tickets.models import Identity, TicketEvent
from tickets.services import register_event_listener

PAGE_PATH = re.compile(r"^/tickets/(\d+)/$")
# Where the render's CSRF token was: a string no escaped user text can contain.
PLACEHOLDER = b"<fixline:csrf-token>"
TOKEN_IN_FORM = re.compile(rb'name="csrfmiddlewaretoken" value="([A-Za-z0-9]{32,64})"')
PERSONAL_COOKIE = "fx_personal"
CACHE_HEADER = "X-Fixline-Cache"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# Seconds a stored page lives when no event drops it first (FIXLINE["PAGE_CACHE_SECONDS"]).
PAGE_CACHE_SECONDS = 10
# A page past its seconds is served (to all but the one request re-rendering it) for at most
# as long again; then it is gone from the cache.
STALE_FACTOR = 2
# How long a visitor waits for the one render of a page that has no current copy before
# rendering it too, and how often it looks.
RENDER_WAIT = 2.0
RENDER_POLL = 0.02

log = logging.getLogger(__name__)
_SERIALIZER = RedisSerializer()  # how Django's Redis cache stores values (`aread_fresh`)


class Entry(TypedDict):
    gen: str
    body: bytes
    content_type: str
    fresh_until: float  # time.time() after which one request renders it again


def _generation_key(ticket_id: int) -> str:
    return f"fx:page:gen:{ticket_id}"


def page_key(ticket_id: int, request: HttpRequest) -> str:
    language = getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)
    return f"fx:page:{ticket_id}:{language}:{request.scheme}:{request.get_host()}"


def invalidate(ticket_id: int) -> None:
    """Forget every stored page of the ticket, in every process (the key is shared)."""
    invalidate_many([ticket_id])


def invalidate_many(ticket_ids: list[int]) -> None:
    """Forget the stored pages of many tickets at once (an announcement to an event's).

    A cache that is down (Redis restarting) must not fail the write that calls this: its
    stored pages are out of reach while it is down, and a restarted Redis holds none; a
    blip that keeps them costs at most PAGE_CACHE_SECONDS (docs/performance.md)."""
    try:
        cache.delete_many([_generation_key(ticket_id) for ticket_id in ticket_ids])
    except Exception:
        log.warning("page cache unreachable: could not forget tickets %s", ticket_ids[:10])


def _on_event(row: TicketEvent) -> None:
    """Dropped now (inside the writing transaction: a later read of the same connection sees
    the change) and again once committed (a render that read the old state meanwhile)."""
    ticket_id = row.ticket_id
    invalidate(ticket_id)
    transaction.on_commit(lambda: invalidate(ticket_id))


def register() -> None:
    register_event_listener(_on_event)


def _current_generation(ticket_id: int) -> str:
    key = _generation_key(ticket_id)
    found = cache.get(key)
    if found is None:
        cache.add(key, secrets.token_hex(8), timeout=None)
        found = cache.get(key)
    return str(found)


def _render_key(page_key: str) -> str:
    return f"{page_key}:rendering"


def _claim_render(page_key: str) -> bool:
    """True for the one request that renders this page now (an atomic add, shared by every
    process through Redis); it expires by itself if that request dies."""
    try:
        return bool(cache.add(_render_key(page_key), 1, timeout=int(RENDER_WAIT) + 1))
    except Exception:  # the cache is down: everyone renders, as without a cache
        return True


def _release_render(page_key: str) -> None:
    try:
        cache.delete(_render_key(page_key))
    except Exception:
        log.warning("page cache unreachable: render claim on %s left to expire", page_key)


def _wait_for_render(page_key: str, generation_key: str) -> Entry | None:
    """Another request is rendering this page: its copy, once stored under the generation
    current then, or None after RENDER_WAIT (then this request renders it too). Sleeping
    here holds a thread but no CPU, which the render needs."""
    deadline = time.monotonic() + RENDER_WAIT
    while time.monotonic() < deadline:
        time.sleep(RENDER_POLL)
        try:
            found: dict[str, Any] = cache.get_many([page_key, generation_key])
        except Exception:
            return None
        entry: Entry | None = found.get(page_key)
        if entry is not None and entry["gen"] == found.get(generation_key):
            return entry
    return None


def bypasses(request: HttpRequest) -> bool:
    """Requests that may see something of their own: a session (signed in, or messages kept
    in it), messages in a cookie, API credentials, a query string (the page echoes it in its
    links), or an identity that has written something."""
    cookies = request.COOKIES
    return bool(
        settings.SESSION_COOKIE_NAME in cookies
        or "messages" in cookies
        or "HTTP_AUTHORIZATION" in request.META
        or request.META.get("QUERY_STRING")
        or cookies.get(PERSONAL_COOKIE) == "1"
    )


def current(found: dict[str, Any], page_key: str, generation_key: str) -> Entry | None:
    """The stored page if it was rendered under the ticket's current generation."""
    entry: Entry | None = found.get(page_key)
    generation = found.get(generation_key)
    if entry is None or generation is None or entry["gen"] != generation:
        return None
    return entry


async def aread_fresh(ticket_id: int, page_key: str) -> Entry | None:
    """For the event loop (`tickets.pagefront`): the stored page if it is current and its
    seconds are not up, else None (Django's handler then renders it, once, as below). In
    Redis one MGET without a thread; `locmem` (the embedded default) is in memory."""
    keys = [page_key, _generation_key(ticket_id)]
    r = aredis.client()
    if r is None:
        found: dict[str, Any] = cache.get_many(keys)
    else:
        raw = await r.mget([cache.make_and_validate_key(key) for key in keys])
        found = {k: _SERIALIZER.loads(v) for k, v in zip(keys, raw, strict=True) if v is not None}
    entry = current(found, *keys)
    if entry is None or time.time() >= entry.get("fresh_until", 0):
        return None
    return entry


def body_for(request: HttpRequest, entry: Entry) -> bytes:
    """The stored page with this visitor's own CSRF token where the render's was."""
    return entry["body"].replace(PLACEHOLDER, get_token(request).encode())


def set_personal(response: HttpResponseBase, personal: bool) -> None:
    response.set_cookie(
        PERSONAL_COOKIE,
        "1" if personal else "0",
        max_age=config.setting_int("ANON_COOKIE_MAX_AGE"),
        httponly=True,
        samesite="Lax",
        secure=getattr(settings, "SESSION_COOKIE_SECURE", False),
    )


class AnonymousPageCacheMiddleware:
    """After the identity middleware (it needs the visitor's cookie token) and below the CSRF,
    locale, security and compression middlewares, which treat a hit like any other answer."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        match = PAGE_PATH.match(request.path_info)
        if match is None or request.method not in ("GET", "HEAD"):
            response = self.get_response(request)
            if (
                request.method not in SAFE_METHODS
                and response.status_code < 400
                and getattr(request, "fixline_anon_token", None)
                and settings.SESSION_COOKIE_NAME not in request.COOKIES
                and request.COOKIES.get(PERSONAL_COOKIE) != "1"
            ):
                set_personal(response, True)  # from now on this visitor's pages are theirs
            return response
        if bypasses(request):
            return self._bypassed(request)
        # A new visitor has written nothing; a returning one without the cookie is from
        # before it existed, or cleared it.
        unclassified = request.COOKIES.get(PERSONAL_COOKIE) != "0"
        personal_unknown = unclassified and not getattr(request, "fixline_anon_token_is_new", True)
        if personal_unknown:
            # A returning visitor from before this cookie existed: one query, once.
            visitor = actor_from_request(request).key
            if Identity.objects.filter(key=visitor).exists():
                response = self._bypassed(request)
                set_personal(response, True)
                return response
        ticket_id = int(match[1])
        key, generation_key = page_key(ticket_id, request), _generation_key(ticket_id)
        try:
            found: dict[str, Any] = cache.get_many([key, generation_key])
        except Exception:  # the cache is down (Redis restarting): render, store nothing
            log.warning("page cache unreachable: rendering ticket %s", ticket_id)
            return self._bypassed(request)
        entry = current(found, key, generation_key)
        if entry is not None:
            if time.time() < entry.get("fresh_until", 0) or not _claim_render(key):
                response = self._hit(request, ticket_id, entry)
            else:
                response = self._miss(request, ticket_id, key)
        else:
            waited = None if _claim_render(key) else _wait_for_render(key, generation_key)
            if waited is not None:
                response = self._hit(request, ticket_id, waited)
            else:
                response = self._miss(request, ticket_id, key)
        if unclassified:
            set_personal(response, False)
        return response

    def _bypassed(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        response[CACHE_HEADER] = "bypass"
        return response

    def _hit(self, request: HttpRequest, ticket_id: int, entry: Entry) -> HttpResponse:
        services.ticket_view(ticket_id=ticket_id, visitor_key=actor_from_request(request).key)
        response = HttpResponse(body_for(request, entry), content_type=entry["content_type"])
        response[CACHE_HEADER] = "hit"
        return response

    def _miss(self, request: HttpRequest, ticket_id: int, page_key: str) -> HttpResponseBase:
        try:
            return self._render(request, ticket_id, page_key)
        finally:
            _release_render(page_key)

    def _render(self, request: HttpRequest, ticket_id: int, page_key: str) -> HttpResponseBase:
        try:
            generation = _current_generation(ticket_id)  # before the view reads anything
        except Exception:  # the cache went down since the read above: render, store nothing
            return self._bypassed(request)
        response = self.get_response(request)
        if (
            response.status_code == 200
            and request.method == "GET"  # a HEAD answer may come without its body
            and isinstance(response, HttpResponse)
            and not response.cookies
            and response.get("Content-Type", "").startswith("text/html")
            and not request.user.is_authenticated
        ):
            body = response.content
            token = TOKEN_IN_FORM.search(body)
            if token is not None:
                body = body.replace(token[1], PLACEHOLDER)
            seconds = config.setting_int("PAGE_CACHE_SECONDS", PAGE_CACHE_SECONDS)
            entry: Entry = {
                "gen": generation,
                "body": body,
                "content_type": response["Content-Type"],
                "fresh_until": time.time() + seconds,
            }
            try:
                cache.set(page_key, entry, timeout=seconds * STALE_FACTOR)
            except Exception:  # not stored: the next load renders again
                log.warning("page cache unreachable: ticket %s not stored", ticket_id)
        response[CACHE_HEADER] = "miss"
        return response
