"""ASGI entry point: HTTP through Django, WebSockets through Channels (served by daphne)."""

import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
django.setup(set_prefix=False)

# One thread hop per request: the middleware chain loaded sync (project/handlers.py).
from project.handlers import SyncChainASGIHandler  # noqa: E402

django_asgi_app = SyncChainASGIHandler()

from django.conf import settings  # noqa: E402

from project import worker  # noqa: E402
from project.routing import build_application  # noqa: E402  (needs Django set up first)
from realtime import fastpath  # noqa: E402
from security import slow_clients  # noqa: E402  (reads settings)
from tickets.pagefront import PageFront  # noqa: E402

# The stored anonymous ticket page is served before Django's handler (tickets/pagefront.py).
application = build_application(PageFront(django_asgi_app))

# Under daphne (its reactor already running the show): deadlines for slow request headers.
if "daphne.server" in sys.modules and "twisted.internet.reactor" in sys.modules:
    slow_clients.install()
    fastpath.lazy_autobahn_debug()  # a join storm's handshakes: docs/performance.md, "Storms"
    fastpath.tune_gc()  # a join storm allocates: docs/performance.md, "Storms"
    fastpath.freeze_startup()  # short pauses: docs/performance.md, "The collector's pauses"
    if settings.FIXLINE_EMBEDDED_WORKER:  # `make run`: one process (project/worker.py)
        worker.start()
