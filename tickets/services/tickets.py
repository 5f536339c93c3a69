"""Creating, correcting and moving tickets through their statuses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import EllipsisType
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from realtime import events
from tickets import config, geo, permissions
from tickets.errors import Conflict, InvalidInput, NotAllowed
from tickets.identity import Actor
from tickets.models import (
    EmergencyEvent,
    Follow,
    Jurisdiction,
    ServiceType,
    StatusChange,
    Ticket,
)
from tickets.public import ticket_summary
from tickets.services.casework import casework_defaults
from tickets.services.eventlog import _append_event, _lock_ticket
from tickets.services.photos import _photos_save, photo_check, photo_decode
from tickets.services.policy import _posting_decision, _rate_limit
from tickets.services.reactions import address_of
from tickets.services.routing import route
from tickets.services.takedown import require_visible_to
from tickets.services.validation import (
    ADDRESS_MAX,
    DESCRIPTION_MAX,
    DISPLAY_NAME_MAX,
    NOTE_MAX,
    TITLE_MAX,
    check_coordinate,
    clean_text,
    validate_answers,
)

# --- Tickets -----------------------------------------------------------------------------------


def _emergency(slug: str | None) -> EmergencyEvent | None:
    """The emergency with this slug; None for no slug or an unknown one."""
    return EmergencyEvent.objects.filter(slug=slug).first() if slug else None


def _explicit_emergency(event: EmergencyEvent | str | int | None) -> EmergencyEvent | None:
    """The emergency a reporter chose (`?event=`, the API's `event`; the model, its slug or
    its id): it must exist and be in effect now."""
    if event is None or event == "":
        return None
    if isinstance(event, EmergencyEvent):
        emergency: EmergencyEvent | None = event
    elif isinstance(event, int) and not isinstance(event, bool):
        emergency = EmergencyEvent.objects.filter(pk=event).first()
    else:
        emergency = _emergency(str(event))
    if emergency is None:
        raise InvalidInput(
            _("Unknown event “%(slug)s”.") % {"slug": str(event)[:80]}, field="event"
        )
    if not emergency.is_active():
        raise InvalidInput(
            _("The event “%(name)s” is not in effect.") % {"name": emergency.name}, field="event"
        )
    return emergency


def active_event_at(
    *, lat: float, long: float, jurisdiction: Jurisdiction
) -> EmergencyEvent | None:
    """The emergency in effect whose area holds the point: a drawn area, or a jurisdiction
    holding the ticket's (the deepest one routing found). The latest declared wins. Active
    events are few, so they are tested in Python."""
    now = timezone.now()
    places = set(jurisdiction.ancestor_ids())
    candidates = (
        EmergencyEvent.objects.filter(starts_at__lte=now)
        .exclude(ends_at__lte=now)
        .exclude(area__isnull=True, jurisdiction__isnull=True)
        .order_by("-starts_at", "-id")
    )
    for emergency in candidates:
        if emergency.jurisdiction_id is not None:
            if emergency.jurisdiction_id in places:
                return emergency
        elif emergency.area is not None:
            try:
                if geo.contains(emergency.area, lat=lat, long=long):
                    return emergency
            except geo.GeometryError:  # an area saved before the checks: it holds nothing
                continue
    return None


def ticket_create(
    *,
    actor: Actor,
    title: str,
    description: str = "",
    service_code: str,
    lat: float,
    long: float,
    address: str = "",
    event: EmergencyEvent | str | int | None = None,
    anonymous: bool = False,
    display_name: str = "",
    answers: Mapping[str, object] | None = None,
    contact_email: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    photos: Sequence[UploadedFile] | None = None,
) -> Ticket:
    """A new ticket, routed to the deepest jurisdiction whose area holds the point. `event` is
    the emergency it belongs to (or its slug, the wire's name), which must be in effect;
    without one, a ticket inside an active emergency's area joins it."""
    title = clean_text(title, field="title", max_length=TITLE_MAX)
    description = clean_text(
        description, field="description", max_length=DESCRIPTION_MAX, required=False
    )
    address = clean_text(address, field="address", max_length=ADDRESS_MAX, required=False)
    display_name = clean_text(
        display_name, field="display_name", max_length=DISPLAY_NAME_MAX, required=False
    )
    lat = check_coordinate(lat, field="lat", bound=90)
    long = check_coordinate(long, field="long", bound=180)
    if not service_code:
        raise InvalidInput(_("This field is required."), field="service_code")
    service_type = ServiceType.objects.filter(code=service_code, active=True).first()
    if service_type is None:
        raise InvalidInput(
            _("Unknown service code “%(code)s”.") % {"code": service_code[:80]},
            field="service_code",
        )
    jurisdiction = route(lat=lat, long=long)
    if service_type.jurisdiction_id not in jurisdiction.ancestor_ids():
        raise InvalidInput(
            _("“%(type)s” is not offered at this location (%(place)s).")
            % {"type": service_type.local_name, "place": jurisdiction.name},
            field="service_code",
        )
    clean_answers = validate_answers(service_type, answers)
    checked_photos = photo_check(photos)  # headers only: a bomb is refused before any decode
    emergency = _explicit_emergency(event) or active_event_at(
        lat=lat, long=long, jurisdiction=jurisdiction
    )

    identity = actor.identity()
    _posting_decision(actor=actor, identity=identity, ticket=None, kind="ticket")
    _rate_limit(actor, "ticket")
    prepared_photos = photo_decode(checked_photos)  # only for a writer who may write now
    if not anonymous and not display_name:
        display_name = actor.display_name
    now = timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.create(
            title=title,
            description=description,
            service_type=service_type,
            jurisdiction=jurisdiction,
            lat=lat,
            long=long,
            address=address,
            reporter=identity,
            anonymous=anonymous,
            display_name="" if anonymous else display_name,
            answers=clean_answers,
            event=emergency,
            contact_email=contact_email
            or (getattr(actor.user, "email", "") if actor.is_authenticated else ""),
            contact_name=contact_name,
            contact_phone=contact_phone,
            created_at=now,
            updated_at=now,
            **casework_defaults(service_type, at=now),
        )
        ticket = _lock_ticket(ticket.pk)
        _photos_save(prepared_photos, ticket=ticket, uploader=identity)
        if config.setting_bool("FOLLOWS_DEFAULT_FOR_REPORTER"):
            Follow.objects.create(ticket=ticket, identity=identity, ip_hash=address_of(actor))
            Ticket.objects.filter(pk=ticket.pk).update(followers=1)
            ticket.followers = 1
        _append_event(ticket, events.TICKET_CREATED, ticket_summary(ticket), at=now, actor=identity)
    return ticket


def ticket_update(
    *,
    actor: Actor,
    ticket_id: int,
    title: str | None = None,
    description: str | None = None,
    address: str | None = None,
    service_code: str | None = None,
    event: str | None | EllipsisType = ...,
) -> Ticket:
    """Agents of the ticket's jurisdiction correct a ticket; the change is a durable event.
    `None` leaves a field as it is; `event` (an emergency's slug) is left alone when omitted
    (`...`) and cleared by `None` or ""."""
    with transaction.atomic():
        ticket = _lock_ticket(ticket_id)
        if not permissions.can_acknowledge_or_close(actor.user, ticket):
            raise NotAllowed(_("Only the jurisdiction's agents can edit this ticket."))
        changed: dict[str, Any] = {}
        if title is not None:
            changed["title"] = clean_text(title, field="title", max_length=TITLE_MAX)
        if description is not None:
            changed["description"] = clean_text(
                description, field="description", max_length=DESCRIPTION_MAX, required=False
            )
        if address is not None:
            changed["address"] = clean_text(
                address, field="address", max_length=ADDRESS_MAX, required=False
            )
        if service_code is not None:
            stype = ServiceType.objects.filter(code=service_code, active=True).first()
            if stype is None or stype.jurisdiction_id not in ticket.jurisdiction.ancestor_ids():
                raise InvalidInput(
                    _("Unknown service code for this location."), field="service_code"
                )
            ticket.service_type = stype
            changed["service_code"] = stype.code
        if not isinstance(event, EllipsisType):
            emergency = _emergency(event)
            if event and emergency is None:
                raise InvalidInput(_("Unknown event."), field="event")
            ticket.event = emergency
            changed["event"] = emergency.slug if emergency else None
        for name in ("title", "description", "address"):
            if name in changed:
                setattr(ticket, name, changed[name])
        if not changed:
            return ticket
        ticket.save(update_fields=["title", "description", "address", "service_type", "event"])
        _append_event(
            ticket,
            events.TICKET_UPDATED,
            {"changed": sorted(changed), **changed},
            at=timezone.now(),
            actor=actor.identity(),
        )
    return ticket


TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "acknowledge": (frozenset({Ticket.Status.OPEN}), Ticket.Status.ACKNOWLEDGED),
    "close": (frozenset({Ticket.Status.OPEN, Ticket.Status.ACKNOWLEDGED}), Ticket.Status.CLOSED),
    "reopen": (frozenset({Ticket.Status.CLOSED}), Ticket.Status.OPEN),
}


def ticket_transition(*, actor: Actor, ticket_id: int, action: str, note: str = "") -> Ticket:
    """open → acknowledged → closed by the jurisdiction's agents; closed → open by the
    reporter or any citizen, with a reason. 403 before 409: who first, then when."""
    if action not in TRANSITIONS:
        raise InvalidInput(_("Action must be acknowledge, close or reopen."), field="action")
    note = clean_text(note, field="note", max_length=NOTE_MAX, required=False)
    sources, target = TRANSITIONS[action]
    with transaction.atomic():
        ticket = _lock_ticket(ticket_id)
        require_visible_to(actor, ticket)
        identity = actor.identity()
        if action == "reopen":
            owner_id = None if actor.known_by_address else identity.pk
            allowed = permissions.can_reopen(
                actor.user, owner_id, ticket
            ) or permissions.is_agent_for(actor.user, ticket.jurisdiction_id)
        else:
            allowed = permissions.can_acknowledge_or_close(actor.user, ticket)
        if not allowed:
            raise NotAllowed(_("You may not %(action)s this ticket.") % {"action": action})
        # Sanctions refuse every write, a status change included (403 before 409).
        _posting_decision(actor=actor, identity=identity, ticket=ticket, kind=action)
        if ticket.status not in sources:
            raise Conflict(
                _("This ticket is %(status)s: “%(action)s” is not possible now.")
                % {"status": ticket.get_status_display(), "action": action}
            )
        if action == "reopen" and ticket.duplicate_of_id is not None:
            # A merged duplicate comes back only by unmerge, which also takes back what moved.
            raise Conflict(
                _(
                    "This ticket is a duplicate of #%(id)s: follow that one, or ask an agent to unmerge it."
                )
                % {"id": ticket.duplicate_of_id}
            )
        if action == "reopen" and not note:
            raise InvalidInput(_("Say why the ticket should be reopened."), field="note")
        now = timezone.now()
        previous = ticket.status
        ticket.status = target
        if target == Ticket.Status.ACKNOWLEDGED:
            ticket.acknowledged_at = now
        if target == Ticket.Status.CLOSED:
            ticket.closed_at = now
        if target == Ticket.Status.OPEN:
            ticket.closed_at = None
        ticket.save(update_fields=["status", "acknowledged_at", "closed_at"])
        official = permissions.is_agent_for(actor.user, ticket.jurisdiction_id)
        by = actor.display_name or (
            _("Reporter") if identity.pk == ticket.reporter_id else _("Anonymous")
        )
        StatusChange.objects.create(
            ticket=ticket,
            actor=identity,
            actor_name=by,
            from_status=previous,
            to_status=target,
            note=note,
            at=now,
        )
        _append_event(
            ticket,
            events.TICKET_STATUS_CHANGED,
            {
                "id": ticket.pk,
                "from": previous,
                "to": target,
                "note": note,
                "by": str(by),
                "official": official,
                "title": ticket.title,
                "jurisdiction": ticket.jurisdiction.slug,
                "event": ticket.emergency_slug,
            },
            at=now,
            actor=identity,
        )
    return ticket
