"""The bell: in-app notifications of signed-in people, pushed live to the group `user.<id>`
(joined by `notifications.consumers.NotificationConsumer` at `/ws/notifications/`)."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.utils import timezone, translation
from pydantic import ConfigDict, TypeAdapter, with_config
from typing_extensions import TypedDict  # pydantic reads typing.TypedDict only from 3.12 on

from notifications.models import Notification
from notifications.recipients import language_for, receiving_agents
from realtime import events, publish
from tickets.models import Follow, Ticket, TicketEvent
from tickets.public import named_author

NOTIFICATION_CREATED = "notification.created"
NOTIFICATION_READ = "notification.read"


@with_config(ConfigDict(extra="forbid"))
class NotificationData(TypedDict):
    """One notification, as the API lists it and the bell shows it."""

    id: int
    kind: str
    ticket: int | None
    text: str
    url: str
    created_at: str
    read: bool


@with_config(ConfigDict(extra="forbid"))
class NotificationCreatedData(NotificationData):
    """`data` of `notification.created`: the new notification and the reader's unread count."""

    unread: int


@with_config(ConfigDict(extra="forbid"))
class NotificationReadData(TypedDict):
    """`data` of `notification.read`: the unread count, and the ids marked (None: all)."""

    unread: int
    ids: list[int] | None


DATA_TYPES: dict[str, type[Any]] = {
    NOTIFICATION_CREATED: NotificationCreatedData,
    NOTIFICATION_READ: NotificationReadData,
}


@cache
def data_schema(message_type: str) -> dict[str, Any]:
    """The JSON Schema of the `data` of a bell message, derived from its type above."""
    return TypeAdapter(DATA_TYPES[message_type]).json_schema()


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def notify_for_event(event: TicketEvent, ticket: Ticket) -> None:
    """The bell of the people an event concerns, written by the worker's job for the event
    (`dispatch.process_event`; not in the request that wrote the event: the storm's write
    path stays at a fixed number of queries however many follow), one bulk insert, pushed
    once it commits through the channel layer."""
    data: dict[str, Any] = {"title": ticket.title}
    if event.type == events.TICKET_CREATED:
        user_ids = [agent.pk for agent in receiving_agents(ticket.jurisdiction)]
        user_ids = [uid for uid in user_ids if uid != ticket.reporter.user_id]
    else:
        if event.type == events.COMMENT_CREATED:
            data["author"] = named_author(event.data)
        else:
            data["status"] = event.data.get("to", "")
        followers = Follow.objects.filter(ticket_id=ticket.pk, identity__user__isnull=False)
        if event.actor_id is not None:  # nobody is told of their own comment or change
            followers = followers.exclude(identity_id=event.actor_id)
        user_ids = list(followers.values_list("identity__user_id", flat=True))
    if not user_ids:
        return
    key = f"event:{event.pk}"
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=uid,
                key=key,
                kind=event.type,
                ticket_id=ticket.pk,
                data=data,
                url=ticket.get_absolute_url(),
                created_at=event.at,
            )
            for uid in user_ids
        ],
        ignore_conflicts=True,
    )
    transaction.on_commit(lambda: push_created(key, user_ids))


def serialize(notification: Notification) -> NotificationData:
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "ticket": notification.ticket_id,
        "text": str(notification.text),
        "url": notification.url,
        "created_at": events.iso(notification.created_at),
        "read": notification.read_at is not None,
    }


# Unread counts stop here (the bell shows "99+" beyond): a follower of a busy ticket in a storm
# gathers thousands of unread notifications, and counting them all again for every new one
# made each job's count grow with the storm. A capped count reads at most this many rows.
UNREAD_CAP = 100


def unread_count(user_id: int) -> int:
    """A person's unread notifications, at most UNREAD_CAP."""
    unread = Notification.objects.filter(user_id=user_id, read_at__isnull=True)
    return unread[:UNREAD_CAP].count()  # COUNT over a LIMITed subquery


def unread_counts(user_ids: list[int]) -> dict[int, int]:
    """`unread_count` of many people in one query (each capped by its own LIMIT)."""
    if not user_ids:
        return {}
    quote = connection.ops.quote_name
    table = quote(Notification._meta.db_table)
    people = ", ".join(["%s"] * len(user_ids))
    sql = (
        f"SELECT p.id, (SELECT COUNT(*) FROM (SELECT 1 FROM {table} n WHERE n.{quote('user_id')}"
        f" = p.id AND n.{quote('read_at')} IS NULL LIMIT %s) capped)"
        f" FROM {quote(User._meta.db_table)} p WHERE p.id IN ({people})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [UNREAD_CAP, *user_ids])
        return {user_id: count for user_id, count in cursor.fetchall()}


def push_created(key: str, user_ids: list[int]) -> None:
    """After commit, in the process that wrote them (the worker): two queries whatever the number of
    followers (their notifications with language preferences, and their unread counts)."""
    rows = Notification.objects.filter(key=key, user_id__in=user_ids).select_related(
        "user__notification_preference"
    )
    unread = unread_counts(user_ids)
    messages = []
    for notification in rows:
        with translation.override(language_for(notification.user)):
            payload = serialize(notification)
        message = events.envelope(
            type=NOTIFICATION_CREATED,
            ticket=notification.ticket_id,
            at=notification.created_at,
            # dict(): events.envelope takes a plain dict (TypedDicts are Mappings to mypy).
            data=dict(
                NotificationCreatedData(**payload, unread=unread.get(notification.user_id, 0))
            ),
        )
        messages.append(([user_group(notification.user_id)], message))
    publish.send_many(messages)  # one hop for all (a loop of its own each, in the worker)


def mark_read(user: User, ids: list[int] | None = None) -> int:
    """Mark some (or all) of a person's notifications read; tell their open pages."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    changed = qs.update(read_at=timezone.now())
    unread = unread_count(user.pk)
    data = NotificationReadData(unread=unread, ids=ids)
    message = events.envelope(type=NOTIFICATION_READ, ticket=None, data=dict(data))
    transaction.on_commit(lambda: publish.send_to_groups([user_group(user.pk)], message))
    return changed
