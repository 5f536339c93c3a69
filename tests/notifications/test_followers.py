"""Follower updates: every comment and status change, batched per minute, never about your
own words, with a one-click unsubscribe that needs no login."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client
from django.utils import timezone, translation

from notifications.models import AddressVerification, Notification, NotificationPreference
from tests.conftest import actor_for
from tests.notifications.conftest import html_of, run_tasks, to
from tickets import services
from tickets.models import Follow


def _followed_ticket(world: Any, make_ticket: Any) -> Any:
    ticket = make_ticket()  # the owner follows by default
    services.ticket_react(actor=actor_for(world["outsider"]), ticket_id=ticket.pk, kind="follow")
    run_tasks()
    return ticket


def test_two_changes_within_a_minute_make_one_message(
    world: Any, make_ticket: Any, outbox: list, clock: Any
) -> None:
    ticket = _followed_ticket(world, make_ticket)
    outbox.clear()
    agent = actor_for(world["agent"])
    services.comment_create(actor=agent, ticket_id=ticket.pk, body="Crew booked for Monday.")
    clock.advance(seconds=20)
    services.ticket_transition(actor=agent, ticket_id=ticket.pk, action="acknowledge")
    run_tasks()
    assert not outbox  # the minute is not over
    clock.advance(seconds=45)
    run_tasks()

    for address in ("owner@example.org", "outsider@example.org"):
        [message] = to(outbox, address)
        assert f"#{ticket.pk}" in message.subject
        assert "Crew booked for Monday." in message.body
        assert "from Open to Acknowledged" in message.body
        assert "Crew booked for Monday." in html_of(message)
    assert len(outbox) == 2

    # A later change starts a new batch: a second message, not a resend of the first.
    clock.advance(minutes=5)
    services.comment_create(actor=agent, ticket_id=ticket.pk, body="Done by Tuesday.")
    clock.advance(seconds=61)
    run_tasks()
    assert len(to(outbox, "owner@example.org")) == 2
    assert "Crew booked" not in to(outbox, "owner@example.org")[1].body


def test_nobody_is_mailed_about_their_own_comment(
    world: Any, make_ticket: Any, outbox: list, clock: Any
) -> None:
    ticket = _followed_ticket(world, make_ticket)
    outbox.clear()
    services.comment_create(
        actor=actor_for(world["outsider"]), ticket_id=ticket.pk, body="Still there tonight."
    )
    clock.advance(seconds=61)
    run_tasks()
    assert not to(outbox, "outsider@example.org")
    [message] = to(outbox, "owner@example.org")
    assert "Still there tonight." in message.body
    # The bell too: the owner has a notification, the author none.
    assert Notification.objects.filter(user=world["owner"], kind="comment.created").count() == 1
    assert not Notification.objects.filter(user=world["outsider"], kind="comment.created").exists()


def test_unsubscribe_link_works_without_login_and_stops_mail(
    world: Any, make_ticket: Any, outbox: list, clock: Any
) -> None:
    ticket = _followed_ticket(world, make_ticket)
    outbox.clear()
    agent = actor_for(world["agent"])
    services.comment_create(actor=agent, ticket_id=ticket.pk, body="First update.")
    clock.advance(seconds=61)
    run_tasks()
    [message] = to(outbox, "outsider@example.org")
    header = message.extra_headers["List-Unsubscribe"]
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.fullmatch(r"<http://127\.0\.0\.1:8000(/\S+)>", header).group(1)
    assert url in message.body  # the same link, visible in the text

    browser = Client(enforce_csrf_checks=True)  # nobody logged in
    page = browser.get(url)
    assert page.status_code == 200
    assert Follow.objects.filter(ticket=ticket, identity__user=world["outsider"]).exists()
    # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click", without a CSRF token.
    done = browser.post(url, {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert not Follow.objects.filter(ticket=ticket, identity__user=world["outsider"]).exists()

    outbox.clear()
    services.comment_create(actor=agent, ticket_id=ticket.pk, body="Second update.")
    clock.advance(seconds=61)
    run_tasks()
    assert not to(outbox, "outsider@example.org")
    assert to(outbox, "owner@example.org")

    assert browser.get(url.replace("/unfollow/", "/unfollow/x")).status_code == 400


def test_a_follower_who_unsubscribes_during_the_minute_gets_nothing(
    world: Any, make_ticket: Any, outbox: list, clock: Any
) -> None:
    ticket = _followed_ticket(world, make_ticket)
    outbox.clear()
    services.comment_create(actor=actor_for(world["agent"]), ticket_id=ticket.pk, body="Soon.")
    run_tasks()
    services.ticket_unfollow(actor=actor_for(world["outsider"]), ticket_id=ticket.pk)
    clock.advance(seconds=61)
    run_tasks()
    assert not to(outbox, "outsider@example.org")
    assert to(outbox, "owner@example.org")


def test_hidden_comments_are_not_mailed(
    world: Any, make_ticket: Any, outbox: list, clock: Any
) -> None:
    ticket = _followed_ticket(world, make_ticket)
    outbox.clear()
    rude = services.comment_create(
        actor=actor_for(anon="z" * 20), ticket_id=ticket.pk, body="Something rude."
    )
    services.comment_create(actor=actor_for(world["agent"]), ticket_id=ticket.pk, body="Noted.")
    services.comment_set_visibility(comment_id=rude.pk, visibility="hidden", reason="abuse")
    clock.advance(seconds=61)
    run_tasks()
    [message] = to(outbox, "owner@example.org")
    assert "Noted." in message.body and "rude" not in message.body


def _followers(ticket: Any, count: int, tag: str, *, mail: bool) -> None:
    """Accounts that follow. `mail`: each with a verified address and updates on. Otherwise
    none gets mail: no address, an unverified one, or a verified one with updates off."""
    from django.contrib.auth import get_user_model

    from notifications.models import NotificationPreference

    for i in range(count):
        email = f"{tag}-{i}@example.org" if mail or i % 3 else ""
        user = get_user_model().objects.create_user(f"{tag}-{i}", email, "pw-follower-1")
        if mail or i % 3 == 2:
            AddressVerification.objects.create(user=user, email=email, verified_at=timezone.now())
        if not mail and i % 3 == 2:
            NotificationPreference.objects.create(user=user, email_updates=False)
        services.ticket_react(actor=actor_for(user), ticket_id=ticket.pk, kind="follow")


def _agent_comment_event(ticket: Any, world: Any) -> Any:
    """An agent's comment on `ticket`, once the jobs before it have run: its event."""
    run_tasks()
    services.comment_create(actor=actor_for(world["agent"]), ticket_id=ticket.pk, body="On it.")
    return ticket.events.filter(type="comment.created").latest("seq")


def _job_queries(ticket: Any, world: Any) -> int:
    """The worker's job for one agent comment on `ticket`, in queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from notifications import dispatch

    event = _agent_comment_event(ticket, world)
    with CaptureQueriesContext(connection) as queries:
        dispatch.process_event(event.pk)
    return len(queries.captured_queries)


def test_the_workers_job_reads_followers_in_queries_that_do_not_grow_with_them(
    world: Any, make_ticket: Any
) -> None:
    few, many = make_ticket(), make_ticket()
    _followers(few, 3, "few", mail=False)
    _followers(many, 30, "many", mail=False)
    assert _job_queries(many, world) == _job_queries(few, world)


def test_only_followers_with_a_verified_address_and_updates_on_get_a_batch(
    world: Any, make_ticket: Any
) -> None:
    from django.contrib.auth import get_user_model

    from notifications.models import Batch

    ticket = make_ticket()
    _followers(ticket, 3, "quiet", mail=False)
    verified = get_user_model().objects.create_user("verified-f", "vf@example.org", "pw-vf-123")
    AddressVerification.objects.create(
        user=verified, email="vf@example.org", verified_at=timezone.now()
    )
    services.ticket_react(actor=actor_for(verified), ticket_id=ticket.pk, kind="follow")
    _job_queries(ticket, world)
    batched = set(Batch.objects.filter(kind="follow", ticket=ticket).values_list("key", flat=True))
    followers = {
        f.identity.user.username: f.identity_id for f in Follow.objects.filter(ticket=ticket)
    }
    assert f"follow:{followers['verified-f']}:{ticket.pk}" in batched
    for name in ("quiet-0", "quiet-1", "quiet-2"):
        assert f"follow:{followers[name]}:{ticket.pk}" not in batched


def test_a_second_comment_within_the_minute_joins_every_open_batch_in_queries_that_do_not_grow(
    world: Any, make_ticket: Any
) -> None:
    from notifications.models import Batch

    few, many = make_ticket(), make_ticket()
    _followers(few, 3, "mailfew", mail=True)
    _followers(many, 30, "mailmany", mail=True)
    _job_queries(few, world)  # the first comment opens the batches
    _job_queries(many, world)
    assert _job_queries(many, world) == _job_queries(few, world)

    comments = list(
        many.events.filter(type="comment.created").order_by("seq").values_list("pk", flat=True)
    )
    batches = Batch.objects.filter(kind="follow", ticket=many, status=Batch.Status.OPEN)
    assert batches.count() == 30 + 1  # and the owner, who follows by default
    for batch in batches:
        assert batch.items == comments  # both comments, in order, each once


def test_the_workers_job_reads_outside_any_transaction(
    transactional_db: None, world: Any, make_ticket: Any
) -> None:
    """The embedded default's SQLite takes its one write lock at BEGIN: a job that read its
    followers inside its transaction held every comment POST back (docs/performance.md)."""
    from django.db import connection

    from notifications import dispatch

    ticket = make_ticket()
    _followers(ticket, 3, "lock", mail=True)
    event = _agent_comment_event(ticket, world)
    reads: list[tuple[str, bool]] = []

    def watch(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql.lstrip().upper().startswith("SELECT"):
            reads.append((sql, connection.in_atomic_block))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        dispatch.process_event(event.pk)
    follower_reads = [inside for sql, inside in reads if '"tickets_follow"' in sql]
    assert follower_reads and not any(follower_reads)


def test_a_nameless_neighbours_comment_is_signed_in_each_readers_language(
    world: Any, make_ticket: Any, outbox: list, clock: Any
) -> None:
    """Written from an English page, read in French: the mail and the bell say "Anonyme" (they
    said "Anonymous", the writer's word, carried by the event)."""
    ticket = _followed_ticket(world, make_ticket)
    NotificationPreference.objects.create(user=world["outsider"], language="fr")
    outbox.clear()
    with translation.override("en"):
        services.comment_create(
            actor=actor_for(anon="nameless-neighbour-0001"),
            ticket_id=ticket.pk,
            body="Still blocked.",
        )
    clock.advance(seconds=61)
    run_tasks()
    [french] = to(outbox, "outsider@example.org")
    [english] = to(outbox, "owner@example.org")
    assert "Anonyme a commenté :" in french.body and "Anonymous" not in french.body
    assert "Anonyme a commenté :" in html_of(french)
    assert "Anonymous commented:" in english.body
    bell = Notification.objects.get(user=world["outsider"], kind="comment.created")
    with translation.override("fr"):
        assert bell.text.startswith("Anonyme a commenté le n°")
    with translation.override("en"):
        assert bell.text.startswith("Anonymous commented on #")
