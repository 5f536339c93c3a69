"""`/ws/notifications/`: a signed-in person's bell. Refused (4401) for anyone else before any
data; then `{"type": "hello", "data": {"unread": n}}` and live `notification.created` /
`notification.read` messages published to the group `user.<id>`. Closed (4401) when the
session ends (`BaseConsumer.follow_session`)."""

from __future__ import annotations

from typing import TypedDict

from channels.db import database_sync_to_async

from notifications import inapp
from realtime.consumers import CLOSE_UNAUTHENTICATED, BaseConsumer
from realtime.events import HELLO


class BellHello(TypedDict):
    """The bell's `hello` payload."""

    unread: int


class NotificationConsumer(BaseConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.refuse(CLOSE_UNAUTHENTICATED)
            return
        await self.accept()
        await self.join(inapp.user_group(user.pk))
        await self.follow_session(user)  # closed (4401) on logout
        unread = await database_sync_to_async(inapp.unread_count)(user.pk)
        hello: BellHello = {"unread": unread}
        await self.send_message(HELLO, hello)
