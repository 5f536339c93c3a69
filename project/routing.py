"""ASGI routing: HTTP through Django; WebSockets through Channels, behind origin validation
(a foreign `Origin` is refused at the handshake) and session authentication. Each app owns
its consumers (`tickets.consumers`, `moderation.consumers`, `notifications.consumers`, all
built on `realtime.consumers.BaseConsumer`); the URLs are mapped here."""

from typing import Any

from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path, re_path

from moderation.consumers import ModerationConsumer
from notifications.consumers import NotificationConsumer
from realtime.consumers import NotFoundConsumer
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
    return AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns())))


def build_application(http_app: Any) -> Any:
    return ProtocolTypeRouter({"http": http_app, "websocket": websocket_app()})
