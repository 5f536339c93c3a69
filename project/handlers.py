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

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler


class SyncChainASGIHandler(ASGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)
        self._middleware_chain = sync_to_async(self._middleware_chain, thread_sensitive=True)
