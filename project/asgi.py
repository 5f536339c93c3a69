"""ASGI entry point: HTTP through Django, WebSockets through Channels (served by daphne)."""

import os
import sys

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
django_asgi_app = get_asgi_application()

from project.routing import build_application  # noqa: E402  (needs Django set up first)
from realtime import fastpath  # noqa: E402
from security import slow_clients  # noqa: E402  (reads settings)

application = build_application(django_asgi_app)

# Under daphne (its reactor already running the show): deadlines for slow request headers.
if "daphne.server" in sys.modules and "twisted.internet.reactor" in sys.modules:
    slow_clients.install()
    fastpath.lazy_autobahn_debug()  # a join storm's handshakes: docs/performance.md, "Storms"
