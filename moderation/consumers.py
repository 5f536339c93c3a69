"""`/ws/moderation/`: the moderation feed's socket (what it carries: `moderation/feed.py`),
built on `realtime.consumers.BaseConsumer`."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async

from realtime import publish
from realtime.consumers import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED, BaseConsumer
from realtime.layers import get_fanout
from tickets import permissions

MODERATION_PREFIX = publish.MODERATION_GROUP  # "moderation", "moderation.j.<id>", ...


class ModerationConsumer(BaseConsumer):
    """`/ws/moderation/`: agents, trusted volunteers and admins; refused before any data, and
    closed when the session ends or the role is lost (`BaseConsumer.follow_session`)."""

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
        await self.follow_session(user)

    async def authorise(self, user: Any) -> int | None:
        """Re-run on logout, role changes and periodically: closed (4403) once the account
        no longer moderates; an agent moved between jurisdictions follows the change."""
        groups = await database_sync_to_async(_moderation_groups)(user)
        if not groups:
            return CLOSE_FORBIDDEN
        fanout = get_fanout()
        for group in [g for g in self.joined if g.startswith(MODERATION_PREFIX)]:
            if group not in groups:
                await fanout.leave(group, self)
                self.joined.remove(group)
        for group in groups:
            if group not in self.joined:
                await self.join(group)
        return None


def _moderation_groups(user: Any) -> list[str]:
    """Admins and trusted volunteers watch everything; an agent, their jurisdictions (and
    their descendants) plus what is tied to no place; anyone else, nothing."""
    if permissions.is_admin(user) or permissions.is_trusted_volunteer(user):
        return [publish.MODERATION_GROUP]
    places = sorted(permissions.agent_jurisdiction_ids(user))
    if not places:
        return []
    return [publish.MODERATION_UNSCOPED, *(f"{publish.MODERATION_GROUP}.j.{j}" for j in places)]
