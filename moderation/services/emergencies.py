"""Emergencies (`EmergencyEvent`): agents and admins declare them; tickets join them with
`event=<slug>` (the wire keeps the name "event")."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from moderation import permissions
from moderation.services import audit
from tickets.errors import Conflict, InvalidInput, NotAllowed
from tickets.identity import Actor
from tickets.models import EmergencyEvent


def require_emergency_declarer(actor: Actor) -> None:
    """Checked first (a 403 before any 400): the API calls it before reading the body."""
    if not permissions.can_declare_emergency(actor.user):
        raise NotAllowed(_("Only agents and admins can declare an emergency event."))


def emergency_create(
    *,
    actor: Actor,
    name: str,
    slug: str,
    starts_at: datetime,
    ends_at: datetime | None = None,
    description: str = "",
    premoderate_anonymous: bool = False,
    slow_mode_seconds: int = 0,
    anonymous_comment_limit: int | None = None,
    area: dict[str, Any] | None = None,
    reason: str = "",
) -> EmergencyEvent:
    """Agents and admins declare an emergency; tickets join it with `event=<slug>`. The
    edges parse and bound the fields (`moderation.api.emergencies`); the area is GeoJSON
    already checked by `tickets.geo.parse_area`."""
    require_emergency_declarer(actor)
    if ends_at is not None and ends_at <= starts_at:
        raise InvalidInput(_("The end must come after the start."), field="ends_at")
    with transaction.atomic():
        if EmergencyEvent.objects.filter(slug=slug).exists():
            raise Conflict(_("An event with this slug already exists."))
        emergency = EmergencyEvent.objects.create(
            name=name,
            slug=slug,
            description=description,
            starts_at=starts_at,
            ends_at=ends_at,
            area=area,
            premoderate_anonymous=premoderate_anonymous,
            slow_mode_seconds=slow_mode_seconds,
            anonymous_comment_limit=anonymous_comment_limit,
        )
        audit.record(
            actor=actor,
            action="event.create",
            target_type="event",
            target_id=emergency.slug,
            reason=reason or _("declared"),
            after={
                "name": emergency.name,
                "premoderate_anonymous": emergency.premoderate_anonymous,
                "slow_mode_seconds": emergency.slow_mode_seconds,
                "anonymous_comment_limit": emergency.anonymous_comment_limit,
            },
        )
    return emergency
