"""The stored anonymous ticket page, served before Django's handler (issue 14: a shared link in
a storm, 1,000 requests a second on the production shape).

`tickets.pagecache` stores the page a visitor with nothing of their own sees, and serves it
from inside Django's middleware chain. Profiled on the production shape (py-spy), what a hit
still cost was the way there, not the page: Django's ASGI handler starts a new thread for
every request, the chain runs fifteen middlewares, and the cache and the view count are three
blocking round trips to Redis from that thread. Here, on daphne's event loop, a request that
the page cache would answer with a stored copy is answered without any of that: one MGET for
the page and its generation, one script for the view, no thread. Everything else is Django's
own code, run the way the chain runs it:

- the same requests qualify (`pagecache.bypasses`: no session, no credentials, no query
  string, nothing written by this identity) and the same copy is served: current generation,
  seconds not up. Otherwise, and on any doubt (a visitor from before `fx_personal` existed,
  a host Django would refuse, a cache that does not answer), the request goes on to Django
  unchanged, which renders, stores and classifies as before;
- the language is LocaleMiddleware's choice (`get_language_from_request`);
- the view is counted by the write layer (`services.aticket_view`, the same 30-minute rule);
- a new browser gets its identity cookie (`identity.set_anon_cookie`) and `fx_personal=0`;
- the CSRF token and cookie come from Django's CsrfViewMiddleware (`process_request`,
  `get_token`, `process_response`); compression from GZipMiddleware (`process_response`);
- every other header (security headers, the CSP, Vary, Content-Language, ...) is the one the
  chain gave this page's last answer served by Django, learnt per page key on its way out:
  the answer for a page key is the same for every such visitor but for the cookies.

A process serves a page here only after Django has served it once in that process (it has no
headers to give before). `FIXLINE["PAGE_FRONT"]` turns this off (`tests/bench`'s "before").
"""

from __future__ import annotations

import io
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.middleware.gzip import GZipMiddleware
from django.utils import translation

from tickets import pagecache, services
from tickets.identity import Actor, new_anon_token, read_anon_cookie, set_anon_cookie

log = logging.getLogger(__name__)

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# Per page key: the chain's headers of the page's last answer served by Django, but those
# that differ per answer (cookies, length, encoding, the cache state).
_headers: dict[str, list[tuple[bytes, bytes]]] = {}
MAX_PAGES = 10_000  # page keys remembered per process (tickets × languages × hosts)
NOT_SHARED = frozenset({b"set-cookie", b"content-length", b"content-encoding", b"x-fixline-cache"})


def _unused(request: HttpRequest) -> HttpResponse:  # the middlewares' hooks are called directly
    raise AssertionError("not called")


_csrf = CsrfViewMiddleware(_unused)
_gzip = GZipMiddleware(_unused)


def enabled() -> bool:
    return bool(settings.FIXLINE.get("PAGE_FRONT", True)) and not settings.CSRF_USE_SESSIONS


def forget_headers() -> None:
    _headers.clear()


class PageFront:
    """ASGI: GET and HEAD of `/tickets/<id>/` served here when the page cache has the copy,
    everything else passed to `app` (Django's handler)."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] in ("GET", "HEAD")
            and not scope.get("query_string")
            and (match := pagecache.PAGE_PATH.match(scope["path"])) is not None
            and enabled()
        ):
            try:
                request = ASGIRequest(scope, io.BytesIO())
                token = read_anon_cookie(request)  # verified once, used by both steps
                key = _eligible_key(request, token, int(match[1]))
                response = await _answer(request, token, int(match[1]), key) if key else None
            except Exception as exc:  # Redis down, or anything unexpected: Django decides
                # One line, not a traceback: a Redis outage under a crowd is many of these.
                log.warning("page front: %s passed to Django: %r", scope["path"], exc)
                key, response = None, None
            if response is not None:
                await _send(response, send, body=scope["method"] == "GET")
                return
            if key is not None:
                send = _learning(key, send)
        await self.app(scope, receive, send)


def _eligible_key(request: HttpRequest, token: str | None, ticket_id: int) -> str | None:
    """The page key if this visitor would get the stored page from the page cache."""
    if pagecache.bypasses(request):
        return None
    if token is not None and request.COOKIES.get(pagecache.PERSONAL_COOKIE) != "0":
        return None  # a returning visitor not yet classified: Django looks them up, once
    request.LANGUAGE_CODE = translation.get_language_from_request(request)
    return pagecache.page_key(ticket_id, request)  # DisallowedHost: Django answers it


async def _answer(
    request: HttpRequest, token: str | None, ticket_id: int, key: str
) -> HttpResponse | None:
    headers = _headers.get(key)
    if headers is None:
        return None
    entry = await pagecache.aread_fresh(ticket_id, key)
    if entry is None:
        return None
    new_token = new_anon_token() if token is None else None
    _csrf.process_request(request)
    response = HttpResponse(pagecache.body_for(request, entry))
    for name, value in headers:
        response.headers[name.decode("latin1")] = value.decode("latin1")
    response[pagecache.CACHE_HEADER] = "hit"
    if new_token is not None:
        set_anon_cookie(response, new_token)
    if request.COOKIES.get(pagecache.PERSONAL_COOKIE) != "0":
        pagecache.set_personal(response, False)
    _csrf.process_response(request, response)
    compressed = _gzip.process_response(request, response)
    assert isinstance(compressed, HttpResponse)  # GZipMiddleware keeps a response's class
    compressed["Content-Length"] = str(len(compressed.content))
    # Counted last: a request that still goes on to Django is counted there, not twice.
    visitor = Actor(anon_token=token or new_token).key
    await services.aticket_view(ticket_id=ticket_id, visitor_key=visitor)
    return compressed


def _learning(key: str, send: Send) -> Send:
    """`send`, remembering the headers of the page's answer if it is the stored page."""

    async def learn(message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] == 200:
            headers = [(bytes(k), bytes(v)) for k, v in message.get("headers", [])]
            state = next((v for k, v in headers if k.lower() == b"x-fixline-cache"), None)
            if state in (b"hit", b"miss"):
                if len(_headers) >= MAX_PAGES:
                    _headers.clear()
                _headers[key] = [(k, v) for k, v in headers if k.lower() not in NOT_SHARED]
        await send(message)

    return learn


async def _send(response: HttpResponse, send: Send, *, body: bool) -> None:
    """As Django's ASGI handler sends a response (its headers, then its cookies)."""
    headers = [(k.encode("ascii"), v.encode("latin1")) for k, v in response.items()]
    for cookie in response.cookies.values():
        headers.append((b"Set-Cookie", cookie.output(header="").encode("ascii").strip()))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": response.content if body else b""})
