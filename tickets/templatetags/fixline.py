"""Template helpers of the pages."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from tickets import permissions
from tickets.public import render_body

register = template.Library()


@register.filter(name="render_body")
def render_body_filter(text: str) -> SafeString:
    """Plain text to safe HTML: escaped, links made nofollow, paragraphs kept."""
    return mark_safe(render_body(str(text or "")))  # noqa: S308 - render_body escapes first


@register.filter
def status_class(status: str) -> str:
    return f"badge badge-{status}" if status in {"open", "acknowledged", "closed"} else "badge"


@register.filter
def is_agent(user: object) -> bool:
    """Agents (of any jurisdiction) and admins see the dashboard link."""
    return permissions.is_agent(user) or permissions.is_admin(user)


@register.filter
def get_item(mapping: object, key: object) -> object:
    return mapping.get(key) if isinstance(mapping, dict) else None
