"""`/ws/moderation/`: the moderation feed's socket (what it carries: `moderation/feed.py`),
built on `realtime.consumers.BaseConsumer`."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async

from realtime import publish
from realtime.consumers import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED, BaseConsumer
from tickets import permissions


class ModerationConsumer(BaseConsumer):
    """`/ws/moderation/`: agents, trusted volunteers and admins; refused before any data."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.refuse(CLOSE_UNAUTHENTICATED)
            return
        groups = await database_sync_to_async(_moderation_groups)(user)
        if not groups:
            await self.refuse(CLOSE_FORBIDDEN)
            return
        await self.accept()
        for group in groups:
            await self.join(group)


def _moderation_groups(user: Any) -> list[str]:
    """Admins and trusted volunteers watch everything; an agent, their jurisdictions (and
    their descendants) plus what is tied to no place; anyone else, nothing."""
    if permissions.is_admin(user) or permissions.is_trusted_volunteer(user):
        return [publish.MODERATION_GROUP]
    places = sorted(permissions.agent_jurisdiction_ids(user))
    if not places:
        return []
    return [publish.MODERATION_UNSCOPED, *(f"{publish.MODERATION_GROUP}.j.{j}" for j in places)]
