"""Emergencies (`EmergencyEvent`): agents and admins declare them; tickets join them with
`event=<slug>` (the wire keeps the name "event")."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from moderation import permissions
from moderation.services._common import REASON_MAX
from moderation.services.audit import _audit
from tickets import geo
from tickets import services as ticket_services
from tickets.errors import Conflict, InvalidInput, NotAllowed
from tickets.identity import Actor
from tickets.models import EmergencyEvent


def _moment(value: Any, *, field: str, required: bool) -> datetime | None:
    if value in (None, ""):
        if required:
            raise InvalidInput(_("This field is required."), field=field)
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        moment = parse_datetime(str(value)) if isinstance(value, str) else None
        if moment is None:
            raise InvalidInput(_("Must be a date and time (ISO 8601)."), field=field)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def emergency_create(
    *,
    actor: Actor,
    name: Any,
    slug: Any,
    starts_at: Any,
    ends_at: Any = None,
    description: Any = "",
    premoderate_anonymous: bool = False,
    slow_mode_seconds: Any = 0,
    anonymous_comment_limit: Any = None,
    area: Any = None,
    reason: Any = "",
) -> EmergencyEvent:
    """Agents and admins declare an emergency; tickets join it with `event=<slug>`."""
    if not permissions.can_declare_emergency(actor.user):
        raise NotAllowed(_("Only agents and admins can declare an emergency event."))
    name = ticket_services.clean_text(name, field="name", max_length=200)
    slug = ticket_services.clean_text(slug, field="slug", max_length=80)
    try:
        validate_slug(slug)
    except ValidationError:
        raise InvalidInput(
            _("Letters, digits, hyphens and underscores only."), field="slug"
        ) from None
    description = ticket_services.clean_text(
        description, field="description", max_length=5000, required=False
    )
    start = _moment(starts_at, field="starts_at", required=True)
    end = _moment(ends_at, field="ends_at", required=False)
    if end is not None and start is not None and end <= start:
        raise InvalidInput(_("The end must come after the start."), field="ends_at")
    try:
        slow = int(slow_mode_seconds or 0)
        if not 0 <= slow <= 86400:
            raise ValueError
    except (TypeError, ValueError):
        raise InvalidInput(_("Between 0 and 86400 seconds."), field="slow_mode_seconds") from None
    limit = None
    if anonymous_comment_limit not in (None, ""):
        try:
            limit = int(anonymous_comment_limit)
            if not 0 <= limit <= 1000:
                raise ValueError
        except (TypeError, ValueError):
            raise InvalidInput(
                _("Between 0 and 1000 per minute."), field="anonymous_comment_limit"
            ) from None
    if area not in (None, ""):
        try:
            geo.parse_area(area)
        except geo.GeometryError as exc:
            raise InvalidInput(str(exc), field="area") from None
    else:
        area = None
    with transaction.atomic():
        if EmergencyEvent.objects.filter(slug=slug).exists():
            raise Conflict(_("An event with this slug already exists."))
        emergency = EmergencyEvent.objects.create(
            name=name,
            slug=slug,
            description=description,
            starts_at=start,
            ends_at=end,
            area=area,
            premoderate_anonymous=bool(premoderate_anonymous),
            slow_mode_seconds=slow,
            anonymous_comment_limit=limit,
        )
        _audit(
            actor=actor,
            action="event.create",
            target_type="event",
            target_id=emergency.slug,
            reason=ticket_services.clean_text(
                reason, field="reason", max_length=REASON_MAX, required=False
            )
            or _("declared"),
            after={
                "name": emergency.name,
                "premoderate_anonymous": emergency.premoderate_anonymous,
                "slow_mode_seconds": emergency.slow_mode_seconds,
                "anonymous_comment_limit": emergency.anonymous_comment_limit,
            },
        )
    return emergency
