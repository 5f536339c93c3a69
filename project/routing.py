"""ASGI routing: HTTP through Django; WebSockets through Channels, behind an exact origin
allow-list and a per-address socket cap (both refuse at the handshake, `security.sockets`),
session authentication (only for a handshake that carries the session cookie), and the
session guard that applies the 2FA rule and lets signed-in
sockets re-check their session (`security.sessions`). Each app owns
its consumers (`tickets.consumers`, `moderation.consumers`, `notifications.consumers`, all
built on `realtime.consumers.BaseConsumer`); the URLs are mapped here."""

from typing import Any

from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter, URLRouter
from django.urls import path, re_path

from moderation.consumers import ModerationConsumer
from notifications.consumers import NotificationConsumer
from realtime.consumers import NotFoundConsumer
from security.sessions import SessionUserMiddleware
from security.sockets import OriginAllowList, SessionOnlyWithCookie, SocketsPerAddress
from tickets.consumers import FeedConsumer, TicketConsumer


def websocket_urlpatterns() -> list[Any]:
    return [
        re_path(r"^ws/tickets/(?P<ticket_id>[0-9]{1,12})/$", TicketConsumer.as_asgi()),
        path("ws/feed/", FeedConsumer.as_asgi()),
        path("ws/moderation/", ModerationConsumer.as_asgi()),
        path("ws/notifications/", NotificationConsumer.as_asgi()),
        re_path(r"", NotFoundConsumer.as_asgi()),
    ]


def websocket_app() -> Any:
    router = URLRouter(websocket_urlpatterns())
    # The session stack only when the handshake carries the session cookie: an anonymous
    # socket costs no session store and no user lookup (a join storm is thousands of them).
    with_session = AuthMiddlewareStack(SessionUserMiddleware(router))
    return OriginAllowList(SocketsPerAddress(SessionOnlyWithCookie(with_session, router)))


def build_application(http_app: Any) -> Any:
    return ProtocolTypeRouter({"http": http_app, "websocket": websocket_app()})
