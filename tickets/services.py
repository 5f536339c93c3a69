"""The only code that writes tickets, comments and reactions.

Every visible change is written in one transaction together with its TicketEvent row, whose
per-ticket `seq` is allocated under a row lock on the ticket, and is broadcast after commit
through `realtime.publish`. Views, the API, consumers, the admin and commands call these
functions; they never save models themselves.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from realtime import counters, events, publish
from tickets import geo, permissions, ratelimit
from tickets.errors import Conflict, InvalidInput, NotAllowed, NotFound
from tickets.identity import Actor
from tickets.models import (
    Comment,
    EmergencyEvent,
    Follow,
    Identity,
    Jurisdiction,
    Photo,
    Reaction,
    ServiceQuestion,
    ServiceType,
    StatusChange,
    Thanks,
    Ticket,
    TicketEvent,
    Vote,
)
from tickets.public import comment_public, ticket_summary

TITLE_MAX = 200
DESCRIPTION_MAX = 5000
COMMENT_MAX = 5000
ADDRESS_MAX = 300
DISPLAY_NAME_MAX = 80
NOTE_MAX = 2000


# --- Posting policies ----------------------------------------------------------------------
# Moderation plugs its sanctions in here (registered in its AppConfig.ready), so `tickets`
# never imports `moderation` and every way of posting obeys the same rules.


@dataclass
class PostingDecision:
    visibility: str = Comment.Visibility.VISIBLE
    shadow: bool = False


PostingPolicy = Callable[..., PostingDecision | None]
_posting_policies: list[PostingPolicy] = []


def register_posting_policy(policy: PostingPolicy) -> None:
    if policy not in _posting_policies:
        _posting_policies.append(policy)


def _posting_decision(
    *, actor: Actor, identity: Identity, ticket: Ticket | None, kind: str
) -> PostingDecision:
    """Raise NotAllowed / RateLimited, or say how the new item is shown."""
    decision = PostingDecision()
    for policy in _posting_policies:
        outcome = policy(actor=actor, identity=identity, ticket=ticket, kind=kind)
        if outcome is not None:
            if outcome.visibility == Comment.Visibility.HELD:
                decision.visibility = Comment.Visibility.HELD
            decision.shadow = decision.shadow or outcome.shadow
    return decision


# Moderation also watches every new comment (its live feed); listeners are called with the
# comment inside the creating transaction, so they can publish with `transaction.on_commit`.
CommentListener = Callable[[Comment], None]
_comment_listeners: list[CommentListener] = []


def register_comment_listener(listener: CommentListener) -> None:
    if listener not in _comment_listeners:
        _comment_listeners.append(listener)


def _rate_limit(actor: Actor, scope: str, *, override: tuple[int, int] | None = None) -> None:
    if permissions.is_exempt_from_rate_limits(actor.user):
        return
    # Integrations (Open311) name their own tier; see tickets/open311.py.
    tier = "citizen" if actor.is_authenticated else getattr(actor, "rate_tier", "anonymous")
    limit, window = override or settings.FIXLINE["RATE_LIMITS"][tier][scope]
    ratelimit.hit(scope=scope, key=actor.key, limit=limit, window=window)
    if not actor.is_authenticated and actor.anon_token and actor.ip:
        # Many neighbours can share one address, so the address limit is wider; it stops a
        # troll who clears cookies between posts.
        ratelimit.hit(scope=f"{scope}:ip", key=actor.ip_hash, limit=limit * 5, window=window)


# --- Event listeners ----------------------------------------------------------------------------
# Other apps (notifications, moderation's feed) react to durable events without `tickets`
# importing them: a listener is called inside the writing transaction with the new event row,
# so it can enqueue work with transaction.on_commit and never sees a rolled-back change.

EventListener = Callable[[TicketEvent], None]
_event_listeners: list[EventListener] = []


def register_event_listener(listener: EventListener) -> None:
    if listener not in _event_listeners:
        _event_listeners.append(listener)


# --- Validation helpers ------------------------------------------------------------------------


def clean_text(value: Any, *, field: str, max_length: int, required: bool = True) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(_("Must be text."), field=field)
    value = value.replace("\x00", "").strip()
    if required and not value:
        raise InvalidInput(_("This field is required."), field=field)
    if len(value) > max_length:
        raise InvalidInput(
            _("At most %(max)s characters (this has %(n)s).")
            % {"max": max_length, "n": len(value)},
            field=field,
        )
    return value


def parse_coordinate(value: Any, *, field: str, bound: float) -> float:
    if isinstance(value, bool):
        raise InvalidInput(_("Must be a number."), field=field)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(_("Must be a number."), field=field) from None
    if not math.isfinite(number) or not -bound <= number <= bound:
        raise InvalidInput(
            _("Must be between %(min)s and %(max)s.") % {"min": -bound, "max": bound}, field=field
        )
    return number


def route(*, lat: float, long: float) -> Jurisdiction:
    """The deepest jurisdiction whose boundary holds the point."""
    candidates = [
        j for j in Jurisdiction.objects.all() if geo.contains(j.boundary, lat=lat, long=long)
    ]
    if not candidates:
        raise InvalidInput(
            _("This location is outside every jurisdiction served here."), field="lat"
        )
    return max(candidates, key=lambda j: (len(j.ancestor_ids()), -j.pk))


def validate_answers(service_type: ServiceType, answers: Any) -> dict[str, Any]:
    """Check answers to the type's custom questions; return them normalised."""
    if answers in (None, ""):
        answers = {}
    if not isinstance(answers, dict):
        raise InvalidInput(
            _("Answers must be an object of question code to value."), field="answers"
        )
    questions = {q.code: q for q in service_type.questions.all()}
    unknown = sorted(set(answers) - set(questions))
    if unknown:
        raise InvalidInput(
            _("Unknown question(s): %(codes)s.") % {"codes": ", ".join(unknown)}, field="answers"
        )
    clean: dict[str, Any] = {}
    for code, question in questions.items():
        value = answers.get(code)
        if value in (None, "", []):
            if question.required:
                raise InvalidInput(
                    _("“%(q)s” is required.") % {"q": question.description}, field=f"answers.{code}"
                )
            continue
        clean[code] = _answer(question, value)
    return clean


def _answer(question: ServiceQuestion, value: Any) -> Any:
    field = f"answers.{question.code}"
    kind = question.datatype
    if kind == ServiceQuestion.Datatype.NUMBER:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InvalidInput(_("Must be a number."), field=field) from None
        if not math.isfinite(number):
            raise InvalidInput(_("Must be a number."), field=field)
        return int(number) if number.is_integer() else number
    if kind == ServiceQuestion.Datatype.DATETIME:
        moment = parse_datetime(str(value)) if isinstance(value, str) else None
        if moment is None:
            raise InvalidInput(_("Must be a date and time (ISO 8601)."), field=field)
        return moment.isoformat()
    if kind == ServiceQuestion.Datatype.SINGLE:
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if str(value) not in question.value_keys:
            raise InvalidInput(_("Not one of the offered choices."), field=field)
        return str(value)
    if kind == ServiceQuestion.Datatype.MULTI:
        values = value if isinstance(value, list) else [value]
        keys = [str(v) for v in values]
        if not keys or any(k not in question.value_keys for k in keys):
            raise InvalidInput(_("Not one of the offered choices."), field=field)
        return sorted(set(keys), key=keys.index)
    limit = 200 if kind == ServiceQuestion.Datatype.STRING else 2000
    return clean_text(value, field=field, max_length=limit)


# --- The event log -----------------------------------------------------------------------------


def _lock_ticket(ticket_id: int) -> Ticket:
    """Lock the ticket row first in every write, so seq allocation is serialised and two
    writers never deadlock on the foreign-key share locks of their inserts."""
    try:
        return Ticket.objects.select_for_update(no_key=True).get(pk=ticket_id)
    except (Ticket.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such ticket.")) from None


def _feed_scopes(ticket: Ticket) -> list[tuple[str, str]]:
    scopes = [
        ("jurisdiction", slug)
        for slug in Jurisdiction.objects.filter(
            pk__in=ticket.jurisdiction.ancestor_ids()
        ).values_list("slug", flat=True)
    ]
    if ticket.event_id:
        scopes.append(("event", ticket.event.slug))
    return scopes


def _append_event(
    ticket: Ticket,
    type: str,
    data: dict[str, Any],
    *,
    at: datetime,
    actor: Identity | None = None,
) -> TicketEvent:
    """Write the next event of a locked ticket and broadcast it after commit."""
    ticket.seq += 1
    ticket.updated_at = at
    Ticket.objects.filter(pk=ticket.pk).update(seq=ticket.seq, updated_at=at)
    row = TicketEvent.objects.create(
        ticket=ticket, seq=ticket.seq, type=type, at=at, data=data, actor=actor
    )
    message = events.envelope(type=type, ticket=ticket.pk, seq=row.seq, at=at, data=data)
    scopes = _feed_scopes(ticket) if type in events.FEED_TYPES else []
    publish.publish_on_commit(message, feed_scopes=scopes)
    for listener in _event_listeners:
        listener(row)
    return row


# --- Tickets -----------------------------------------------------------------------------------


def ticket_create(
    *,
    actor: Actor,
    title: Any,
    description: Any = "",
    service_code: Any,
    lat: Any,
    long: Any,
    address: Any = "",
    event: Any = None,
    anonymous: bool = False,
    display_name: Any = "",
    answers: Any = None,
    contact_email: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    photos: Any = None,
) -> Ticket:
    title = clean_text(title, field="title", max_length=TITLE_MAX)
    description = clean_text(
        description, field="description", max_length=DESCRIPTION_MAX, required=False
    )
    address = clean_text(address, field="address", max_length=ADDRESS_MAX, required=False)
    display_name = clean_text(
        display_name, field="display_name", max_length=DISPLAY_NAME_MAX, required=False
    )
    lat_f = parse_coordinate(lat, field="lat", bound=90)
    long_f = parse_coordinate(long, field="long", bound=180)
    if not isinstance(service_code, str) or not service_code:
        raise InvalidInput(_("This field is required."), field="service_code")
    service_type = ServiceType.objects.filter(code=service_code, active=True).first()
    if service_type is None:
        raise InvalidInput(
            _("Unknown service code “%(code)s”.") % {"code": service_code[:80]},
            field="service_code",
        )
    jurisdiction = route(lat=lat_f, long=long_f)
    if service_type.jurisdiction_id not in jurisdiction.ancestor_ids():
        raise InvalidInput(
            _("“%(type)s” is not offered at this location (%(place)s).")
            % {"type": service_type.name, "place": jurisdiction.name},
            field="service_code",
        )
    clean_answers = validate_answers(service_type, answers)
    prepared_photos = photo_prepare(photos)
    emergency = None
    if event not in (None, ""):
        emergency = EmergencyEvent.objects.filter(slug=str(event)).first()
        if emergency is None:
            raise InvalidInput(
                _("Unknown event “%(slug)s”.") % {"slug": str(event)[:80]}, field="event"
            )

    identity = actor.identity()
    _posting_decision(actor=actor, identity=identity, ticket=None, kind="ticket")
    _rate_limit(actor, "ticket")
    if not anonymous and not display_name:
        display_name = actor.display_name
    now = timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.create(
            title=title,
            description=description,
            service_type=service_type,
            jurisdiction=jurisdiction,
            lat=lat_f,
            long=long_f,
            address=address,
            reporter=identity,
            anonymous=bool(anonymous),
            display_name="" if anonymous else display_name,
            answers=clean_answers,
            event=emergency,
            contact_email=contact_email
            or (getattr(actor.user, "email", "") if actor.is_authenticated else ""),
            contact_name=contact_name,
            contact_phone=contact_phone,
            created_at=now,
            updated_at=now,
        )
        ticket = _lock_ticket(ticket.pk)
        _photos_save(prepared_photos, ticket=ticket, uploader=identity)
        if settings.FIXLINE["FOLLOWS_DEFAULT_FOR_REPORTER"]:
            Follow.objects.create(ticket=ticket, identity=identity)
            Ticket.objects.filter(pk=ticket.pk).update(followers=1)
            ticket.followers = 1
        _append_event(ticket, events.TICKET_CREATED, ticket_summary(ticket), at=now, actor=identity)
    return ticket


def ticket_update(
    *,
    actor: Actor,
    ticket_id: int,
    title: Any = None,
    description: Any = None,
    address: Any = None,
    service_code: Any = None,
    event: Any = ...,
) -> Ticket:
    """Agents of the ticket's jurisdiction correct a ticket; the change is a durable event."""
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
        if event is not ...:
            emergency = None
            if event not in (None, ""):
                emergency = EmergencyEvent.objects.filter(slug=str(event)).first()
                if emergency is None:
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


def ticket_transition(*, actor: Actor, ticket_id: int, action: Any, note: Any = "") -> Ticket:
    """open → acknowledged → closed by the jurisdiction's agents; closed → open by the
    reporter or any citizen, with a reason. 403 before 409: who first, then when."""
    if action not in TRANSITIONS:
        raise InvalidInput(_("Action must be acknowledge, close or reopen."), field="action")
    note = clean_text(note, field="note", max_length=NOTE_MAX, required=False)
    sources, target = TRANSITIONS[action]
    with transaction.atomic():
        ticket = _lock_ticket(ticket_id)
        identity = actor.identity()
        if action == "reopen":
            allowed = permissions.can_reopen(
                actor.user, identity.pk, ticket
            ) or permissions.is_agent_for(actor.user, ticket.jurisdiction_id)
        else:
            allowed = permissions.can_acknowledge_or_close(actor.user, ticket)
        if not allowed:
            raise NotAllowed(_("You may not %(action)s this ticket.") % {"action": action})
        if ticket.status not in sources:
            raise Conflict(
                _("This ticket is %(status)s: “%(action)s” is not possible now.")
                % {"status": ticket.get_status_display(), "action": action}
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
                "event": ticket.event.slug if ticket.event_id else None,
            },
            at=now,
            actor=identity,
        )
    return ticket


# --- Comments ----------------------------------------------------------------------------------


def comment_create(*, actor: Actor, ticket_id: int, body: Any, photos: Any = None) -> Comment:
    """A public comment. Returns it visible, or held for review (the API answers 202)."""
    body = clean_text(body, field="body", max_length=COMMENT_MAX)
    prepared_photos = photo_prepare(photos)
    ticket = (
        Ticket.objects.select_related("event").filter(pk=ticket_id).first()
        if isinstance(ticket_id, int)
        else None
    )
    if ticket is None:
        raise NotFound(_("No such ticket."))
    identity = actor.identity()
    decision = _posting_decision(actor=actor, identity=identity, ticket=ticket, kind="comment")
    override = None
    emergency = ticket.event if ticket.event_id and ticket.event.is_active() else None
    if emergency and not actor.is_authenticated and emergency.anonymous_comment_limit:
        override = (emergency.anonymous_comment_limit, 60)
    _rate_limit(actor, "comment", override=override)
    if emergency and emergency.slow_mode_seconds and not permissions.is_moderator(actor.user):
        ratelimit.slow_mode(
            scope=f"comment:{ticket.pk}", key=actor.key, seconds=emergency.slow_mode_seconds
        )
    if emergency and emergency.premoderate_anonymous and not actor.is_authenticated:
        decision.visibility = Comment.Visibility.HELD

    now = timezone.now()
    with transaction.atomic():
        ticket = _lock_ticket(ticket.pk)
        comment = Comment.objects.create(
            ticket=ticket,
            author=identity,
            display_name=actor.display_name,
            body=body,
            official=permissions.is_agent_for(actor.user, ticket.jurisdiction_id),
            visibility=decision.visibility,
            shadow=decision.shadow,
            created_at=now,
            updated_at=now,
        )
        _photos_save(prepared_photos, ticket=ticket, comment=comment, uploader=identity)
        if comment.visibility == Comment.Visibility.VISIBLE and not comment.shadow:
            _append_event(
                ticket, events.COMMENT_CREATED, comment_public(comment), at=now, actor=identity
            )
        for listener in _comment_listeners:
            listener(comment)
    return comment


def comment_set_visibility(
    *, comment_id: int, visibility: str, reason: str = "", clear_shadow: bool = False
) -> Comment:
    """Hide, restore or approve a comment. Nothing is deleted: a hidden comment keeps its text
    for its author and the moderators. Permission checks belong to the caller (moderation)."""
    if visibility not in Comment.Visibility.values:
        raise InvalidInput(_("Unknown visibility."), field="visibility")
    with transaction.atomic():
        try:
            ticket_id = Comment.objects.values_list("ticket_id", flat=True).get(pk=comment_id)
        except (Comment.DoesNotExist, ValueError, TypeError):
            raise NotFound(_("No such comment.")) from None
        ticket = _lock_ticket(ticket_id)
        comment = Comment.objects.select_for_update().get(pk=comment_id)
        was_public = comment.visibility == Comment.Visibility.VISIBLE and not comment.shadow
        comment.visibility = visibility
        comment.moderation_reason = reason[:300]
        if clear_shadow:
            comment.shadow = False
        comment.updated_at = timezone.now()
        comment.save(update_fields=["visibility", "moderation_reason", "shadow", "updated_at"])
        is_public = comment.visibility == Comment.Visibility.VISIBLE and not comment.shadow
        if was_public and not is_public:
            _append_event(ticket, events.COMMENT_HIDDEN, {"id": comment.pk}, at=comment.updated_at)
        elif is_public and not was_public:
            published_before = TicketEvent.objects.filter(
                ticket=ticket, type=events.COMMENT_CREATED, data__id=comment.pk
            ).exists()
            kind = events.COMMENT_RESTORED if published_before else events.COMMENT_CREATED
            _append_event(ticket, kind, comment_public(comment), at=comment.updated_at)
    return comment


# --- Follow, vote, thanks --------------------------------------------------------------------

_REACTIONS: dict[str, tuple[type[Reaction], str]] = {
    "follow": (Follow, "followers"),
    "vote": (Vote, "votes"),
    "thanks": (Thanks, "thanks"),
}


def ticket_react(*, actor: Actor, ticket_id: int, kind: str) -> dict[str, int]:
    """Follow, vote ("me too") or thank: once per person, idempotent. Counts are not events;
    they reach the sockets through the coalesced counters channel."""
    model, counter = _REACTIONS[kind]
    if not Ticket.objects.filter(pk=ticket_id).exists():
        raise NotFound(_("No such ticket."))
    identity = actor.identity()
    with transaction.atomic():
        ticket = _lock_ticket(ticket_id)
        try:
            with transaction.atomic():
                model.objects.create(ticket=ticket, identity=identity)
        except IntegrityError:
            pass  # already done: idempotent
        else:
            Ticket.objects.filter(pk=ticket.pk).update(**{counter: F(counter) + 1})
        ticket.refresh_from_db(fields=["followers", "votes", "thanks", "views"])
    counters.changed(ticket.pk)
    return {
        "followers": ticket.followers,
        "votes": ticket.votes,
        "thanks": ticket.thanks,
        "views": ticket.views,
    }


def ticket_unfollow(*, actor: Actor, ticket_id: int) -> dict[str, int]:
    """Stop following. A follow is a subscription, not history, so it may be removed."""
    identity = actor.identity()
    with transaction.atomic():
        ticket = _lock_ticket(ticket_id)
        removed, _detail = Follow.objects.filter(ticket=ticket, identity=identity).delete()
        if removed:
            Ticket.objects.filter(pk=ticket.pk).update(followers=F("followers") - 1)
        ticket.refresh_from_db(fields=["followers", "votes", "thanks", "views"])
    counters.changed(ticket.pk)
    return {
        "followers": ticket.followers,
        "votes": ticket.votes,
        "thanks": ticket.thanks,
        "views": ticket.views,
    }


def ticket_view(*, ticket_id: int, visitor_key: str) -> None:
    """A page load: counted once per visitor identity per 30 minutes, absorbed and flushed in
    batches by `realtime.counters` (never one database write per view)."""
    counters.record_view(ticket_id=ticket_id, visitor_key=visitor_key)


def ticket_add_views(*, increments: dict[int, int]) -> None:
    """Flush absorbed view counts: one UPDATE per ticket per flush."""
    with transaction.atomic():
        for ticket_id, n in sorted(increments.items()):
            if n > 0:
                Ticket.objects.filter(pk=ticket_id).update(views=F("views") + n)


def ticket_record_event(
    *, ticket_id: int, type: str, data: dict[str, Any], actor: Identity | None = None
) -> TicketEvent:
    """Append a durable event written by another app's change (moderation's offers). Call it
    inside the caller's transaction, so the change and its event commit together."""
    if type not in events.DURABLE_TYPES:
        raise ValueError(f"{type} is not a durable event type")
    ticket = _lock_ticket(ticket_id)
    return _append_event(ticket, type, data, at=timezone.now(), actor=actor)


# --- Photos ------------------------------------------------------------------------------------


def photo_prepare(uploads: Any, *, already: int = 0) -> list[Any]:
    """Check and re-encode uploads (resized, EXIF stripped) before any transaction."""
    from tickets import photos as photo_processing

    if not uploads:
        return []
    return photo_processing.prepare_all(uploads, already=already)


def _photos_save(
    prepared: list[Any], *, ticket: Ticket, uploader: Identity, comment: Comment | None = None
) -> list[Photo]:
    saved = []
    for item in prepared:
        photo = Photo(ticket=ticket, comment=comment, uploader=uploader, size=item.size)
        photo.image.save(item.content.name, item.content, save=False)
        photo.width, photo.height = item.width, item.height
        photo.save()
        saved.append(photo)
    return saved


def photo_attach(
    *, actor: Actor, ticket_id: int, files: Any, comment_id: int | None = None
) -> list[Photo]:
    """Add photos to an existing ticket (its reporter or its agents) or comment (its author),
    at most `FIXLINE["PHOTO_MAX_COUNT"]` each. A ticket's new photos are a `ticket.updated`
    event (`changed: ["photos"]`)."""
    ticket = Ticket.objects.filter(pk=ticket_id).first() if isinstance(ticket_id, int) else None
    if ticket is None:
        raise NotFound(_("No such ticket."))
    identity = actor.identity()
    comment = None
    if comment_id is not None:
        comment = Comment.objects.filter(pk=comment_id, ticket=ticket).first()
        if comment is None:
            raise NotFound(_("No such comment."))
        allowed = comment.author_id == identity.pk
    else:
        allowed = identity.pk == ticket.reporter_id or permissions.is_agent_for(
            actor.user, ticket.jurisdiction_id
        )
    if not allowed:
        raise NotAllowed(_("Only the author can add photos here."))
    existing = Photo.objects.filter(ticket=ticket, comment=comment).count()
    prepared = photo_prepare(files, already=existing)
    if not prepared:
        raise InvalidInput(_("Choose at least one photo."), field="photos")
    with transaction.atomic():
        ticket = _lock_ticket(ticket.pk)
        if Photo.objects.filter(ticket=ticket, comment=comment).count() != existing:
            raise Conflict(_("Photos were added at the same time; try again."))
        saved = _photos_save(prepared, ticket=ticket, comment=comment, uploader=identity)
        if comment is None:
            _append_event(
                ticket,
                events.TICKET_UPDATED,
                {"changed": ["photos"]},
                at=timezone.now(),
                actor=identity,
            )
    return saved
