"""Emergencies (`EmergencyEvent`): agents and admins declare, edit and end them. Tickets join
one with `event=<slug>`, or on their own when reported inside its area (a drawn polygon or a
jurisdiction; `tickets.services.tickets.active_event_at`). The wire keeps the name "event"."""

from __future__ import annotations

import json
from datetime import datetime
from types import EllipsisType
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_slug
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from moderation import permissions
from moderation.services import audit
from tickets import geo
from tickets.errors import Conflict, InvalidInput, NotAllowed, NotFound
from tickets.identity import Actor
from tickets.models import EmergencyEvent, Jurisdiction

SLOW_MODE_MAX = 86400
ANONYMOUS_LIMIT_MAX = 1000


def require_emergency_declarer(actor: Actor) -> None:
    """Checked first (a 403 before any 400): the API calls it before reading the body."""
    if not permissions.can_declare_emergency(actor.user):
        raise NotAllowed(_("Only agents and admins can declare an emergency event."))


def _require_place(actor: Actor, jurisdiction: Jurisdiction | None) -> None:
    """An agent declares or edits events in their jurisdictions; a drawn area or none is
    for any agent (as event-wide offers are)."""
    if jurisdiction is not None and not permissions.can_moderate_jurisdiction(
        actor.user, jurisdiction.pk
    ):
        raise NotAllowed(_("Only this area's agents and admins can do this."))


def parse_event_area(value: Any) -> dict[str, Any] | None:
    """A drawn area: a GeoJSON Polygon or MultiPolygon (or a Feature of one), as an object or
    its JSON text. GeoJSON rings must be closed by repeating the first point and hold at
    least 4 positions; Shapely then refuses rings that cross themselves."""
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise InvalidInput(_("The area is not valid JSON."), field="area") from None
    geometry = value.get("geometry") if isinstance(value, dict) else None
    shape = geometry if isinstance(value, dict) and value.get("type") == "Feature" else value
    if not isinstance(shape, dict) or shape.get("type") not in {"Polygon", "MultiPolygon"}:
        raise InvalidInput(_("The area must be a GeoJSON Polygon or MultiPolygon."), field="area")
    coordinates = shape.get("coordinates")
    polygons = [coordinates] if shape["type"] == "Polygon" else coordinates
    if not isinstance(polygons, list) or not polygons:
        raise InvalidInput(_("The area has no coordinates."), field="area")
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            raise InvalidInput(_("The area has no coordinates."), field="area")
        for ring in polygon:
            if not isinstance(ring, list) or len(ring) < 4:
                raise InvalidInput(
                    _("Each ring of the area needs at least 4 points."), field="area"
                )
            if ring[0] != ring[-1]:
                raise InvalidInput(
                    _("Each ring of the area must end where it starts."), field="area"
                )
    try:
        geo.parse_area(shape)
    except geo.GeometryError:
        raise InvalidInput(
            _("The area's rings must be closed and must not cross themselves."), field="area"
        ) from None
    return shape


def _jurisdiction(slug: str | None) -> Jurisdiction | None:
    if not slug:
        return None
    found = Jurisdiction.objects.filter(slug=slug).first()
    if found is None:
        raise InvalidInput(
            _("Unknown jurisdiction “%(slug)s”.") % {"slug": slug[:80]}, field="jurisdiction"
        )
    return found


def _check_numbers(slow_mode_seconds: int, anonymous_comment_limit: int | None) -> None:
    if not 0 <= slow_mode_seconds <= SLOW_MODE_MAX:
        raise InvalidInput(_("Between 0 and 86400 seconds."), field="slow_mode_seconds")
    if anonymous_comment_limit is not None and not (
        0 <= anonymous_comment_limit <= ANONYMOUS_LIMIT_MAX
    ):
        raise InvalidInput(_("Between 0 and 1000 per minute."), field="anonymous_comment_limit")


def _check_times(starts_at: datetime, ends_at: datetime | None) -> None:
    if ends_at is not None and ends_at <= starts_at:
        raise InvalidInput(_("The end must come after the start."), field="ends_at")


def emergency_check(
    *,
    actor: Actor,
    starts_at: datetime,
    ends_at: datetime | None,
    slow_mode_seconds: int,
    anonymous_comment_limit: int | None,
    area: Any,
    jurisdiction: str | None,
) -> tuple[Jurisdiction | None, dict[str, Any] | None]:
    """What an event's whole set of fields must satisfy, checked without writing: the place
    and the parsed area, or an InvalidInput naming the field. `emergency_create` runs it
    before saving; forms (the admin's) run it to show the error on its field."""
    require_emergency_declarer(actor)
    place = _jurisdiction(jurisdiction)
    _require_place(actor, place)
    parsed = parse_event_area(area)
    if parsed is not None and place is not None:
        raise InvalidInput(_("Choose a jurisdiction or draw an area, not both."), field="area")
    _check_times(starts_at, ends_at)
    _check_numbers(slow_mode_seconds, anonymous_comment_limit)
    return place, parsed


def snapshot(emergency: EmergencyEvent) -> dict[str, Any]:
    """What the audit log keeps of an event, before and after a change."""
    return {
        "name": emergency.name,
        "description": emergency.description,
        "starts_at": emergency.starts_at.isoformat(),
        "ends_at": emergency.ends_at.isoformat() if emergency.ends_at else None,
        "jurisdiction": emergency.jurisdiction.slug if emergency.jurisdiction else None,
        "area": emergency.area,
        "premoderate_anonymous": emergency.premoderate_anonymous,
        "slow_mode_seconds": emergency.slow_mode_seconds,
        "anonymous_comment_limit": emergency.anonymous_comment_limit,
    }


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
    jurisdiction: str | None = None,
    reason: str = "",
) -> EmergencyEvent:
    """Agents and admins declare an emergency. Its area is a drawn polygon (`area`) or a
    jurisdiction's (`jurisdiction`, a slug), not both."""
    require_emergency_declarer(actor)
    try:
        validate_slug(slug)
    except DjangoValidationError:
        raise InvalidInput(
            _("Letters, digits, hyphens and underscores only."), field="slug"
        ) from None
    place, area = emergency_check(
        actor=actor,
        starts_at=starts_at,
        ends_at=ends_at,
        slow_mode_seconds=slow_mode_seconds,
        anonymous_comment_limit=anonymous_comment_limit,
        area=area,
        jurisdiction=jurisdiction,
    )
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
            jurisdiction=place,
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
            after=snapshot(emergency),
        )
    return emergency


def _locked(slug: str) -> EmergencyEvent:
    emergency = (
        EmergencyEvent.objects.select_for_update(of=("self",))  # not the outer-joined jurisdiction
        .select_related("jurisdiction")
        .filter(slug=slug)
        .first()
    )
    if emergency is None:
        raise NotFound(_("No such event."))
    return emergency


def emergency_update(
    *,
    actor: Actor,
    slug: str,
    name: str | EllipsisType = ...,
    description: str | EllipsisType = ...,
    starts_at: datetime | EllipsisType = ...,
    ends_at: datetime | None | EllipsisType = ...,
    premoderate_anonymous: bool | EllipsisType = ...,
    slow_mode_seconds: int | EllipsisType = ...,
    anonymous_comment_limit: int | None | EllipsisType = ...,
    area: dict[str, Any] | None | EllipsisType = ...,
    jurisdiction: str | None | EllipsisType = ...,
    reason: str = "",
) -> EmergencyEvent:
    """Change what is given (`...`: left as it is). Giving an area clears the jurisdiction
    and the other way round. The slug never changes (links and sockets use it)."""
    require_emergency_declarer(actor)
    if starts_at is None:  # PATCH with null: an event always has a start
        raise InvalidInput(_("This field is required."), field="starts_at")
    if name is None or name == "":
        raise InvalidInput(_("This field is required."), field="name")
    new_place = _jurisdiction(jurisdiction) if not isinstance(jurisdiction, EllipsisType) else ...
    new_area = parse_event_area(area) if not isinstance(area, EllipsisType) else ...
    if new_area not in (None, ...) and new_place not in (None, ...):
        raise InvalidInput(_("Choose a jurisdiction or draw an area, not both."), field="area")
    with transaction.atomic():
        emergency = _locked(slug)
        _require_place(actor, emergency.jurisdiction)
        before = snapshot(emergency)
        if isinstance(new_place, Jurisdiction) or new_place is None:
            _require_place(actor, new_place)
            emergency.jurisdiction = new_place
            if new_place is not None:
                emergency.area = None
        if not isinstance(new_area, EllipsisType):
            emergency.area = new_area
            if new_area is not None:
                emergency.jurisdiction = None
        for field, value in (
            ("name", name),
            ("description", description),
            ("starts_at", starts_at),
            ("ends_at", ends_at),
            ("premoderate_anonymous", premoderate_anonymous),
            ("slow_mode_seconds", slow_mode_seconds),
            ("anonymous_comment_limit", anonymous_comment_limit),
        ):
            if not isinstance(value, EllipsisType):
                setattr(emergency, field, value)
        _check_times(emergency.starts_at, emergency.ends_at)
        _check_numbers(emergency.slow_mode_seconds, emergency.anonymous_comment_limit)
        emergency.save()
        audit.record(
            actor=actor,
            action="event.update",
            target_type="event",
            target_id=emergency.slug,
            reason=reason or _("edited"),
            before=before,
            after=snapshot(emergency),
        )
    return emergency


def emergency_end(*, actor: Actor, slug: str, reason: str = "") -> EmergencyEvent:
    """End an event now; 409 when it has already ended."""
    require_emergency_declarer(actor)
    now = timezone.now()
    with transaction.atomic():
        emergency = _locked(slug)
        _require_place(actor, emergency.jurisdiction)
        if emergency.ends_at is not None and emergency.ends_at <= now:
            raise Conflict(_("This event has already ended."))
        before = snapshot(emergency)
        emergency.ends_at = max(now, emergency.starts_at)
        if emergency.starts_at > now:  # ending one that has not begun: it never will
            emergency.starts_at = emergency.ends_at = now
        emergency.save(update_fields=["starts_at", "ends_at"])
        audit.record(
            actor=actor,
            action="event.end",
            target_type="event",
            target_id=emergency.slug,
            reason=reason or _("ended"),
            before=before,
            after=snapshot(emergency),
        )
    return emergency
