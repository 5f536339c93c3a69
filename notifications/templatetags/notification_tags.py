from __future__ import annotations

from typing import Any

from django import template

from notifications import inapp

register = template.Library()


@register.simple_tag
def unread_notifications(user: Any) -> int:
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    return inapp.unread_count(user.pk)


@register.simple_tag
def unread_cap() -> int:
    return inapp.UNREAD_CAP


@register.filter
def bell_count(count: int) -> str:
    """What the bell's badge says: the count, or "99+" from the cap on (counts stop there)."""
    return f"{inapp.UNREAD_CAP - 1}+" if count >= inapp.UNREAD_CAP else str(count)
