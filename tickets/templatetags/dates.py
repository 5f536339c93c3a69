"""Dates as people read them (docs/ui.md): `{{ value|ago }}` is "just now", "5 minutes ago",
"il y a 5 minutes" (django.contrib.humanize's naturaltime, with "just now" under a minute);
absolute dates use DATETIME_FORMAT (project/formats/)."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def ago(value: datetime | None) -> str:
    if not isinstance(value, datetime):
        return ""
    now = timezone.now() if timezone.is_aware(value) else datetime.now()
    if abs((now - value).total_seconds()) < 60:
        return _("just now")
    return str(naturaltime(value))


@register.filter
def km(metres: int | float | None) -> str:
    """Metres as kilometres with one decimal, in the page's number format ("1.2", "1,2")."""
    if metres is None:
        return ""
    return str(floatformat(metres / 1000, 1))
