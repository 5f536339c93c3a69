"""The bell's live push costs a constant number of queries, however many people follow."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications import inapp
from tests.conftest import actor_for
from tests.notifications.conftest import run_tasks
from tickets import services

pytestmark = pytest.mark.django_db


def _push_queries(ticket: Any, followers: int, start: int) -> tuple[int, int]:
    User = get_user_model()
    for i in range(start, start + followers):
        user = User.objects.create_user(f"follower{i}", f"f{i}@example.org", "pw-follower-1")
        services.ticket_react(actor=actor_for(user), ticket_id=ticket.pk, kind="follow")
    comment = services.comment_create(
        actor=actor_for(anon=f"push-author-{start:08d}"), ticket_id=ticket.pk, body="x"
    )
    run_tasks()  # the worker writes the bell
    key = f"event:{ticket.events.get(type='comment.created', data__id=comment.pk).pk}"
    user_ids = list(inapp.Notification.objects.filter(key=key).values_list("user_id", flat=True))
    with CaptureQueriesContext(connection) as queries:
        inapp.push_created(key, user_ids)
    return len(user_ids), len(queries.captured_queries)


def test_push_queries_do_not_grow_with_followers(world: dict[str, Any], make_ticket: Any) -> None:
    ticket = make_ticket()
    few, few_queries = _push_queries(ticket, 2, 0)
    many, many_queries = _push_queries(ticket, 20, 100)
    assert many > few
    assert many_queries == few_queries
