"""WebSocket routing. Consumers come with the realtime issue; until then HTTP only."""

from typing import Any

from channels.routing import ProtocolTypeRouter


def build_application(http_app: Any) -> Any:
    return ProtocolTypeRouter({"http": http_app})
