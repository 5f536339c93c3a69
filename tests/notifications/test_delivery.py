"""Durability: retries back off, a retry never sends twice, nobody sees another person's
address, and the real `manage.py db_worker` process delivers."""

from __future__ import annotations

import os
import subprocess
import sys
from email import message_from_bytes
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.db import connection
from django_tasks_db.models import DBTaskResult

from notifications import mail
from notifications.models import Delivery
from notifications.verification import mark_verified
from tests.conftest import actor_for
from tests.notifications import flaky_backend
from tests.notifications.conftest import html_of, run_tasks
from tickets import services


def test_a_failed_send_is_retried_later_and_sent_once(
    world: Any, make_ticket: Any, outbox: list, clock: Any, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "tests.notifications.flaky_backend.FlakyBackend"
    flaky_backend.state.update(failures_left=1, calls=0)
    ticket = make_ticket()
    run_tasks()
    receipt = Delivery.objects.get(key=f"receipt:{ticket.pk}")
    # The first attempt (whichever message it was) failed at the transport.
    failed = Delivery.objects.filter(attempts=1, status="pending").get()
    assert "SMTPServerDisconnected" in failed.last_error
    assert failed.next_attempt_at is not None
    delay = (failed.next_attempt_at - clock.now()).total_seconds()
    assert 25 <= delay <= 31  # the first back-off step
    sent_before = len(outbox)

    clock.advance(seconds=31)
    run_tasks()
    failed.refresh_from_db()
    assert failed.status == "sent" and failed.attempts == 2
    assert len(outbox) == sent_before + 1

    # Running the send again (a duplicate task, a worker restarted mid-queue) sends nothing.
    for delivery in Delivery.objects.all():
        assert mail.send(delivery.pk) == "skipped"
    assert len([m for m in outbox if m.to == [receipt.recipient] and "Received" in m.subject]) == 1
    # Queueing the same message again is a no-op too.
    assert (
        mail.queue(
            recipient=receipt.recipient, key=receipt.key, kind="receipt", context={}, language="en"
        )
        is None
    )
    assert Delivery.objects.filter(key=receipt.key).count() == 1


def test_back_off_grows_and_gives_up(settings: Any) -> None:
    assert [mail.retry_delay(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert mail.retry_delay(30).total_seconds() == 6 * 3600


def test_no_message_shows_another_persons_address(
    world: Any, make_ticket: Any, outbox: list, clock: Any
) -> None:
    User = get_user_model()
    sneaky = User.objects.create_user("sneaky@example.com", "sneaky-real@example.com", "pw-123456")
    mark_verified(email="sneaky-real@example.com", user=sneaky)
    mark_verified(email="owner-contact@example.org")
    ticket = make_ticket(contact_email="owner-contact@example.org")
    make_ticket(actor_for(world["outsider"]), title="Same street")
    for person in (world["outsider"], sneaky):
        services.ticket_react(actor=actor_for(person), ticket_id=ticket.pk, kind="follow")
    services.comment_create(
        actor=actor_for(sneaky), ticket_id=ticket.pk, body="Mail me at sneaky-real@example.com"
    )
    services.comment_create(actor=actor_for(world["outsider"]), ticket_id=ticket.pk, body="+1")
    agent = actor_for(world["agent"])
    services.ticket_transition(actor=agent, ticket_id=ticket.pk, action="close", note="Fixed.")
    clock.advance(seconds=61)
    run_tasks()
    clock.advance(days=8)
    run_tasks()

    people = {u.email for u in User.objects.all() if u.email} | {
        "owner-contact@example.org",
        "sneaky@example.com",
    }
    assert len(outbox) >= 6
    kinds = {d.kind for d in Delivery.objects.all()}
    assert {"receipt", "agent_new", "follower_update", "is_it_fixed"} <= kinds
    for message in outbox:
        assert len(message.to) == 1 and not message.cc and not message.bcc
        visible = "\n".join(
            [
                message.subject,
                message.body,
                html_of(message),
                *map(str, message.extra_headers.values()),
            ]
        )
        others = {p for p in people if p != message.to[0] and p in visible}
        assert not others, (message.subject, others)


@pytest.mark.django_db(transaction=True)
def test_the_real_worker_process_delivers_a_receipt(world: Any, tmp_path: Path) -> None:
    ticket = services.ticket_create(
        actor=actor_for(world["owner"]),
        title="Worker test",
        service_code="snow",
        lat=45.505,
        long=-73.552,
    )
    assert DBTaskResult.objects.filter(status="READY").exists()
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        url = f"sqlite:///{db['NAME']}"
    else:
        user, password = quote(db["USER"] or "", safe=""), quote(db["PASSWORD"] or "", safe="")
        url = f"postgres://{user}:{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "FIXLINE_VAR_DIR": str(tmp_path),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "DJANGO_SETTINGS_MODULE": "project.settings",
    }
    env.pop("EMAIL_URL", None)
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--batch",
            "--no-reload",
            "--no-startup-delay",
            "--interval",
            "0",
        ],  # fmt: skip
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    files = sorted((tmp_path / "mail").glob("*.log"))
    messages = [
        message_from_bytes(chunk.strip().encode())
        for f in files
        for chunk in f.read_text().split("-" * 79)
        if chunk.strip()
    ]
    receipts = [m for m in messages if m["To"] == "owner@example.org"]
    assert len(receipts) == 1
    assert f"#{ticket.pk}" in receipts[0]["Subject"]
    assert Delivery.objects.get(key=f"receipt:{ticket.pk}").status == "sent"
    assert not DBTaskResult.objects.filter(status__in=["READY", "FAILED"]).exists()
