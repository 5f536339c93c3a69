"""Background work, run by `manage.py db_worker` (django-tasks' database backend). Task
arguments are ids only; every task is idempotent, so running one twice does no harm. Thin
entry points: the work is in `dispatch` and `mail`, which enqueue through `notifications.jobs`
(where `NotificationsConfig.ready` registers these tasks), never by importing this module."""

from __future__ import annotations

from django_tasks import task

from notifications import dispatch, mail, push, receipts, verification


@task()
def send_delivery(delivery_id: int) -> str:
    return mail.send(delivery_id)


@task()
def process_event(event_id: int) -> None:
    dispatch.process_event(event_id)


@task()
def flush_batch(batch_id: int) -> None:
    dispatch.flush_batch(batch_id)


@task()
def ask_is_it_fixed(ticket_id: int, close_seq: int) -> None:
    dispatch.ask_is_it_fixed(ticket_id, close_seq)


@task()
def password_reset_mail(email: str) -> int:
    return len(verification.send_password_reset(email))


@task()
def send_push(delivery_id: int) -> str:
    return push.send(delivery_id)


@task()
def receipts_after_verification(verification_id: int) -> int:
    return receipts.send_pending_receipts(verification_id)
