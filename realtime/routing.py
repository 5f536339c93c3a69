"""ASGI routing: HTTP through Django; WebSockets through Channels, behind origin validation
(a foreign `Origin` is refused at the handshake) and session authentication."""

from typing import Any

from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path, re_path

from realtime import consumers


def websocket_urlpatterns() -> list[Any]:
    # The bell lives in its own app (built on realtime.consumers.BaseConsumer).
    from notifications.consumers import NotificationConsumer

    return [
        re_path(r"^ws/tickets/(?P<ticket_id>[0-9]{1,12})/$", consumers.TicketConsumer.as_asgi()),
        path("ws/feed/", consumers.FeedConsumer.as_asgi()),
        path("ws/moderation/", consumers.ModerationConsumer.as_asgi()),
        path("ws/notifications/", NotificationConsumer.as_asgi()),
        re_path(r"", consumers.NotFoundConsumer.as_asgi()),
    ]


def websocket_app() -> Any:
    return AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns())))


def build_application(http_app: Any) -> Any:
    return ProtocolTypeRouter({"http": http_app, "websocket": websocket_app()})
