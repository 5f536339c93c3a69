"""The ticket page's casework panel (`{% casework_panel ticket %}`): rendered for staff of the
ticket's jurisdiction only; nothing of it (notes, assignee, priority) reaches anyone else."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from tickets import permissions, services
from tickets.dashboard import assign_choices
from tickets.models import Jurisdiction, Priority, ServiceType, Ticket

register = template.Library()


@register.inclusion_tag("tickets/_casework.html", takes_context=True)
def casework_panel(context: dict[str, Any], ticket: Ticket) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if not permissions.can_do_casework(user, ticket):
        return {"staff": False}
    due = timezone.localtime(ticket.due_at) if ticket.due_at else None
    return {
        "staff": True,
        "ticket": ticket,
        "notes": ticket.notes.order_by("created_at", "id"),
        "priorities": Priority.choices,
        "due_local": due.strftime("%Y-%m-%dT%H:%M") if due else "",
        "overdue": services.is_overdue(ticket),
        "service_types": ServiceType.objects.filter(active=True).order_by("name"),
        "jurisdictions": Jurisdiction.objects.order_by("name"),
        "current_user": ticket.assignee.get_username() if ticket.assignee else "",
        "current_team": ticket.team.slug if ticket.team else "",
        "csrf_token": context.get("csrf_token"),
        "request": request,
        **assign_choices([ticket.jurisdiction]),
    }
