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
