"""Handing work to the worker. `dispatch`, `mail`, the listener and the admin enqueue tasks
through here, not through `notifications.tasks`: the tasks run `dispatch` and `mail`, so
importing them back would be a cycle. `NotificationsConfig.ready` registers the tasks here at
start-up (web and worker processes alike); the imports then run one way:
tasks -> dispatch, mail -> jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django_tasks.base import Task

_registered: dict[str, Task[..., Any]] = {}


def register(*tasks: Task[..., Any]) -> None:
    for task in tasks:
        _registered[task.name] = task


def _enqueue(name: str, *args: int | str, run_after: datetime | None = None) -> None:
    try:
        task = _registered[name]
    except KeyError:
        raise RuntimeError(f"task {name!r} is not registered (NotificationsConfig.ready)") from None
    if run_after is not None:
        task = task.using(run_after=run_after)
    task.enqueue(*args)


def send_delivery(delivery_id: int, *, run_after: datetime | None = None) -> None:
    _enqueue("send_delivery", delivery_id, run_after=run_after)


def process_event(event_id: int) -> None:
    _enqueue("process_event", event_id)


def flush_batch(batch_id: int, *, run_after: datetime) -> None:
    _enqueue("flush_batch", batch_id, run_after=run_after)


def ask_is_it_fixed(ticket_id: int, close_seq: int, *, run_after: datetime) -> None:
    _enqueue("ask_is_it_fixed", ticket_id, close_seq, run_after=run_after)


def password_reset_mail(email: str) -> None:
    _enqueue("password_reset_mail", email)


def send_push(delivery_id: int, *, run_after: datetime | None = None) -> None:
    _enqueue("send_push", delivery_id, run_after=run_after)


def receipts_after_verification(verification_id: int) -> None:
    _enqueue("receipts_after_verification", verification_id)
