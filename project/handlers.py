"""Django's ASGI handler with its middleware chain loaded synchronously: one thread hop per
request instead of one at every place the chain switches between async and sync.

Under daphne Django loads the chain for async. Every sync-only middleware then gets its inner
handler adapted (`async_to_sync`), the sync ones above it run in a thread, the view is wrapped
again (`sync_to_async`), and every middleware's `process_view` is wrapped too: three to four
hops for a page (Django logs them at DEBUG as "... adapted for middleware ..."). Here the whole
chain and the views run in the request's one worker thread, entered once. Going the other way,
an all-async chain, would not remove the hops: Django's own middlewares (`MiddlewareMixin`)
run each `process_request`/`process_response` through `sync_to_async` when async, and our views
and the ORM are sync (docs/performance.md, "Flash crowd").
"""

from __future__ import annotations

from collections.abc import Callable

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.db import close_old_connections
from django.http import HttpRequest, HttpResponseBase


def returning_connections(
    chain: Callable[[HttpRequest], HttpResponseBase],
) -> Callable[[HttpRequest], HttpResponseBase]:
    """The chain, then the request thread's database connection back to the pool (Django's
    `request_finished` would do it only after the answer is sent, from the same thread).

    With the pool (project/database.py) a connection kept by a thread that ends is lost to the
    pool for good, and the thread is the request's own: when the handler is cancelled before
    Django's `response.close()` (a client gone for `application_close_timeout`, a test dropping
    its ApplicationCommunicator), `request_finished` never runs there and ten such requests
    left every later one waiting for a connection, then 503. Here the release runs in the
    thread itself, whatever happens to the awaiting task, and a slow client no longer holds a
    connection while its answer is sent. Streaming answers keep theirs until `close()`: their
    iterators may still read. Without the pool nothing changes (persistent connections are
    not obsolete yet).
    """

    def run(request: HttpRequest) -> HttpResponseBase:
        response = chain(request)
        if not response.streaming:
            close_old_connections()
        return response

    return run


class SyncChainASGIHandler(ASGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)
        chain = returning_connections(self._middleware_chain)
        self._middleware_chain = sync_to_async(chain, thread_sensitive=True)
