"""`{% merge_panel ticket user as merge %}`: what `tickets/_merge.html` shows (see
`tickets.casework_selectors.merge_panel`)."""

from __future__ import annotations

from typing import Any

from django import template

from tickets import casework_selectors
from tickets.models import Ticket

register = template.Library()


@register.simple_tag
def merge_panel(ticket: Ticket, user: Any) -> dict[str, Any]:
    return casework_selectors.merge_panel(ticket, user)
