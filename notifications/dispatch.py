"""Deciding who hears of what. Each durable ticket event the notifications care about is
handed to `process_event` by the worker; it queues receipts, agent mail, area alerts and
follower batches. Everything here is idempotent: the outbox's (recipient, key) uniqueness and
the one-open-batch-per-key constraint make a second run a no-op."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation

from notifications import conf, inapp, jobs, links, mail, push, verification
from notifications.batches import add_to_batch, add_to_batches
from notifications.models import AddressVerification, AreaSubscription, Batch, FixCheck
from notifications.recipients import (
    follower_address,
    language_for,
    preference,
    receiving_agents,
    redact,
    reporter_address,
    verified_email,
    verified_emails,
)
from realtime import events
from tickets import selectors
from tickets.models import Comment, Follow, Ticket, TicketEvent
from tickets.public import named_author

FOLLOWER_TYPES = frozenset({events.COMMENT_CREATED, events.TICKET_STATUS_CHANGED})
HANDLED_TYPES = FOLLOWER_TYPES | {events.TICKET_CREATED}


def _ticket(ticket_id: int | None) -> Ticket | None:
    related = Ticket.objects.select_related("jurisdiction", "service_type", "reporter__user")
    return None if ticket_id is None else related.filter(pk=ticket_id).first()


def ticket_context(ticket: Ticket, language: str) -> dict[str, Any]:
    """What every message may say about a ticket: public facts only, in the recipient's
    `language` (its status and type names)."""
    with translation.override(language):
        status = str(ticket.get_status_display())
    return {
        "ticket": {
            "id": ticket.pk,
            "title": ticket.title,
            "status": status,
            "service_name": ticket.service_type.name_in(language),
            "address": ticket.address,
            "url": links.ticket_url(ticket.pk),
        }
    }


def process_event(event_id: int) -> None:
    """No transaction around the whole job: each write is short and atomic on its own. In the
    embedded default SQLite has one write lock, taken at BEGIN (IMMEDIATE), and the job's
    reads under it held every comment POST back (its p50 in a storm 16.6 → 8.8 ms,
    docs/performance.md "The write path"). Every step is idempotent (module docstring), so
    a job run again after a failure completes the work, never repeats it."""
    event = TicketEvent.objects.filter(pk=event_id).first()
    if event is None or event.type not in HANDLED_TYPES:
        return
    ticket = _ticket(event.ticket_id)
    if ticket is None or ticket.visibility == Ticket.Visibility.HIDDEN:
        return  # taken down: nothing about it goes out to the public (alerts, followers)
    inapp.notify_for_event(event, ticket)  # the bell
    push.queue_for_event(event, ticket)  # Web Push: followers and area alerts
    if event.type == events.TICKET_CREATED:
        send_receipt(ticket)
        notify_agents(ticket)
        send_area_alerts(ticket)
    else:
        batch_follower_updates(event, ticket)
        closed = event.type == events.TICKET_STATUS_CHANGED and event.data.get("to") == "closed"
        # A merged duplicate was not fixed: its people follow the original now.
        if closed and event.data.get("reason") != "duplicate":
            delay = timedelta(seconds=conf.is_it_fixed_delay())
            jobs.ask_is_it_fixed(ticket.pk, event.seq, run_after=event.at + delay)


# --- Receipt ---------------------------------------------------------------------------------


def send_receipt(ticket: Ticket) -> None:
    found = reporter_address(ticket)
    if found is None:
        return
    address, language = found
    if not mail.is_verified(address):
        # A new address (typically one given with an anonymous report) is asked once to
        # verify itself; until it does, it receives nothing else.
        if not AddressVerification.objects.filter(email=mail.normalize(address)).exists():
            verification.request_verification(
                email=address, language=language, user=ticket.reporter.user
            )
        return
    jurisdiction = ticket.jurisdiction
    similar = selectors.similar_open_tickets(
        service_type=ticket.service_type, lat=ticket.lat, long=ticket.long, exclude_id=ticket.pk
    )
    unsubscribe = links.follow_unsubscribe_url(ticket.reporter_id, ticket.pk)
    mail.queue(
        recipient=address,
        key=f"receipt:{ticket.pk}",
        kind="receipt",
        language=language,
        context={
            **ticket_context(ticket, language),
            "jurisdiction": {
                "name": jurisdiction.name,
                "team_name": jurisdiction.team_name,
                "contact_email": jurisdiction.contact_email,
                "contact_phone": jurisdiction.contact_phone,
                "contact_url": jurisdiction.contact_url,
            },
            "similar_count": len(similar),
            "following": Follow.objects.filter(
                ticket=ticket, identity_id=ticket.reporter_id
            ).exists(),
            "unsubscribe_url": unsubscribe,
        },
        headers=mail.unsubscribe_headers(unsubscribe),
    )


# --- Agents ----------------------------------------------------------------------------------


def next_digest_time(now: datetime) -> datetime:
    zone = ZoneInfo(settings.TIME_ZONE)
    local = now.astimezone(zone)
    at = local.replace(hour=conf.agent_digest_hour(), minute=0, second=0, microsecond=0)
    if at <= local:
        at += timedelta(days=1)
    return at


def notify_agents(ticket: Ticket) -> None:
    for agent in receiving_agents(ticket.jurisdiction):
        if not verified_email(agent) or agent.pk == ticket.reporter.user_id:
            continue
        pref = preference(agent)
        mode = pref.new_tickets if pref else "instant"
        if mode == "off":
            continue
        if mode == "daily":
            add_to_batch(
                key=f"agent:{agent.pk}",
                kind="agent",
                item=ticket.pk,
                send_after=next_digest_time(timezone.now()),
                user=agent,
            )
            continue
        language = language_for(agent)
        mail.queue(
            recipient=agent.email,
            key=f"agent-new:{ticket.pk}",
            kind="agent_new",
            language=language,
            context={
                **ticket_context(ticket, language),
                "jurisdiction_name": ticket.jurisdiction.name,
                "description": redact(ticket.description),
                "reporter": redact(ticket.public_reporter),
            },
        )


# --- Area alerts -----------------------------------------------------------------------------


def send_area_alerts(ticket: Ticket) -> None:
    inside = Q(jurisdiction_id__in=ticket.jurisdiction.ancestor_ids()) | Q(
        jurisdiction__isnull=True,
        min_lat__lte=ticket.lat,
        max_lat__gte=ticket.lat,
        min_long__lte=ticket.long,
        max_long__gte=ticket.long,
    )
    subscriptions = (
        AreaSubscription.objects.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True)
        .filter(inside)
        .select_related("jurisdiction")
        .prefetch_related("service_types")
    )
    for sub in subscriptions:
        if not sub.matches(ticket):
            continue
        unsubscribe = links.alert_unsubscribe_url(sub.pk)
        mail.queue(
            recipient=sub.email,
            key=f"alert:{sub.pk}:{ticket.pk}",
            kind="area_alert",
            language=sub.language or settings.LANGUAGE_CODE,
            context={
                **ticket_context(ticket, sub.language or settings.LANGUAGE_CODE),
                "area": sub.describe(),
                "description": redact(ticket.description),
                "unsubscribe_url": unsubscribe,
            },
            headers=mail.unsubscribe_headers(unsubscribe),
        )


def send_alert_confirmation(sub: AreaSubscription) -> None:
    language = sub.language or settings.LANGUAGE_CODE
    mail.queue(
        recipient=sub.email,
        key=f"alert-confirm:{sub.pk}",
        kind="alert_confirm",
        language=language,
        context={
            "area": sub.describe(),
            "service_names": [st.name_in(language) for st in sub.service_types.all()],
            "confirm_url": links.alert_confirm_url(sub.pk),
        },
    )


# --- Followers -------------------------------------------------------------------------------


def batch_follower_updates(event: TicketEvent, ticket: Ticket) -> None:
    window = timedelta(seconds=conf.notify_batch_seconds())
    # Nobody hears of their own change (the event's actor); everyone's preference and
    # verified address are read at once, not per follower.
    query = Follow.objects.filter(ticket=ticket)
    if event.actor_id is not None:
        query = query.exclude(identity_id=event.actor_id)
    follows = list(query.select_related("identity__user__notification_preference"))
    verified = verified_emails(follow.identity.user for follow in follows)
    add_to_batches(
        kind="follow",
        item=event.pk,
        send_after=event.at + window,
        entries=[
            (
                f"follow:{follow.identity_id}:{ticket.pk}",
                {"identity": follow.identity, "ticket": ticket},
            )
            for follow in follows
            if follower_address(follow.identity, ticket, verified=verified) is not None
        ],
    )


def flush_batch(batch_id: int) -> None:
    with transaction.atomic():
        batch = Batch.objects.select_for_update().filter(pk=batch_id).first()
        if batch is None or batch.status != Batch.Status.OPEN:
            return
        batch.status = Batch.Status.FLUSHED
        batch.save(update_fields=["status"])
        if batch.kind == "follow":
            _send_follower_updates(batch)
        elif batch.kind == "agent":
            _send_agent_digest(batch)


def _change(event: TicketEvent) -> dict[str, Any] | None:
    data = event.data
    if event.type == events.COMMENT_CREATED:
        # A comment hidden since it was posted is not mailed out.
        if not Comment.objects.filter(
            pk=data.get("id"), visibility=Comment.Visibility.VISIBLE, shadow=False
        ).exists():
            return None
        return {
            "kind": "comment",
            "at": event.at,
            "author": redact(named_author(data)),
            "official": bool(data.get("official")),
            "body": redact(data.get("body")),
        }
    if event.type == events.TICKET_STATUS_CHANGED:
        labels = dict(Ticket.Status.choices)
        return {
            "kind": "status",
            "at": event.at,
            "by": redact(data.get("by")),
            "official": bool(data.get("official")),
            "from": labels.get(data.get("from"), data.get("from")),
            "to": labels.get(data.get("to"), data.get("to")),
            "note": redact(data.get("note")),
        }
    return None


def _send_follower_updates(batch: Batch) -> None:
    ticket = _ticket(batch.ticket_id)
    identity = batch.identity
    if ticket is None or identity is None or ticket.visibility == Ticket.Visibility.HIDDEN:
        return  # taken down since the batch was made: its text is not mailed out
    if not Follow.objects.filter(ticket=ticket, identity=identity).exists():
        return  # unsubscribed while the batch was waiting
    found = follower_address(identity, ticket)
    if found is None:
        return
    address, language = found
    rows = TicketEvent.objects.filter(pk__in=batch.items).order_by("seq")
    changes = [c for c in (_change(row) for row in rows) if c is not None]
    if not changes:
        return
    unsubscribe = links.follow_unsubscribe_url(identity.pk, ticket.pk)
    mail.queue(
        recipient=address,
        key=f"updates:{batch.pk}",
        kind="follower_update",
        language=language,
        context={
            **ticket_context(ticket, language),
            "changes": changes,
            "count": len(changes),
            "unsubscribe_url": unsubscribe,
        },
        headers=mail.unsubscribe_headers(unsubscribe),
    )


def _send_agent_digest(batch: Batch) -> None:
    agent = batch.user
    if agent is None or not verified_email(agent):
        return
    language = language_for(agent)
    tickets = [
        ticket_context(t, language)["ticket"]
        for t in Ticket.objects.filter(pk__in=batch.items)
        .select_related("service_type")
        .order_by("created_at", "pk")
    ]
    if not tickets:
        return
    mail.queue(
        recipient=agent.email,
        key=f"agent-digest:{batch.pk}",
        kind="agent_digest",
        language=language,
        context={"tickets": tickets, "count": len(tickets)},
    )


# --- "Is it fixed?" -------------------------------------------------------------------------


def ask_is_it_fixed(ticket_id: int, close_seq: int) -> None:
    ticket = _ticket(ticket_id)
    if ticket is None or ticket.status != Ticket.Status.CLOSED:
        return
    latest = (
        TicketEvent.objects.filter(ticket=ticket, type=events.TICKET_STATUS_CHANGED)
        .order_by("-seq")
        .values_list("seq", flat=True)
        .first()
    )
    if latest != close_seq:
        return  # reopened (and maybe closed again) since: that closure has its own question
    if not Follow.objects.filter(ticket=ticket, identity_id=ticket.reporter_id).exists():
        return  # the reporter unsubscribed from this ticket
    found = reporter_address(ticket)
    if found is None:
        return
    address, language = found
    with transaction.atomic():
        check, _created = FixCheck.objects.get_or_create(ticket=ticket, close_seq=close_seq)
        if check.answer:
            return
        unsubscribe = links.follow_unsubscribe_url(ticket.reporter_id, ticket.pk)
        mail.queue(
            recipient=address,
            key=f"is-it-fixed:{check.pk}",
            kind="is_it_fixed",
            language=language,
            context={
                **ticket_context(ticket, language),
                "yes_url": links.is_it_fixed_url(check.pk, "yes"),
                "no_url": links.is_it_fixed_url(check.pk, "no"),
                "unsubscribe_url": unsubscribe,
            },
        )
