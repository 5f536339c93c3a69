"""Helpers for the feedback loops: a controllable clock, the in-process worker (the same
`Worker.run_task` that `manage.py db_worker` uses, without its connection recycling, so it
works inside a test transaction) and the locmem outbox."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult


class Clock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.offset = timedelta()
        real_now = timezone.now
        monkeypatch.setattr(timezone, "now", lambda: real_now() + self.offset)

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)

    def now(self) -> datetime:
        return timezone.now()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


def run_tasks(limit: int = 500) -> int:
    """Run every task that is due now (including those they enqueue), like the worker."""
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    ran = 0
    while ran < limit:
        task = DBTaskResult.objects.ready().first()
        if task is None:
            return ran
        task.claim(worker.worker_id)
        worker.run_task(task)
        task.refresh_from_db()
        assert task.status == "SUCCESSFUL", task.exception_class_path + task.traceback
        ran += 1
    raise AssertionError("tasks keep enqueuing tasks")


@pytest.fixture
def outbox(settings: Any) -> list[Any]:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    return mail.outbox


def to(outbox: list[Any], address: str) -> list[Any]:
    return [m for m in outbox if m.to == [address]]


def html_of(message: Any) -> str:
    return "".join(
        body for body, mime in getattr(message, "alternatives", []) if mime == "text/html"
    )


@pytest.fixture(autouse=True)
def _verified_addresses(request: pytest.FixtureRequest) -> None:
    """The feedback loops' tests are about people whose address is verified (the demo
    accounts' are; here also the owner's and the outsider's). What unverified addresses
    receive is tested in test_verification.py, whose tests ask for `unverified`."""
    if "world" not in request.fixturenames or "unverified" in request.fixturenames:
        return
    from notifications.verification import mark_verified

    world = request.getfixturevalue("world")
    for name in ("owner", "outsider"):
        mark_verified(email=world[name].email, user=world[name])


@pytest.fixture
def unverified() -> None:
    """Marker fixture: leave the world's own addresses unverified."""
