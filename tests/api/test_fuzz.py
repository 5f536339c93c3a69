"""Schemathesis fuzzes the REST API from its own OpenAPI schema (`/api/v1/schema/`), in
process through the WSGI application, against the seeded demo world and a ticket.

Two passes, bounded to about two minutes together: every operation as the demo `agent`
(token authentication; agents are never rate-limited, so POSTs are not turned into 429s),
then every GET anonymously. Every answer must be something other than a server error and must
conform to the schema."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from moderation import services as moderation
from tests.conftest import actor_for
from tickets import services
from tickets.models import Comment

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(240)]

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
FUZZ = hypothesis_settings(
    max_examples=100,
    deadline=None,
    derandomize=True,  # the same examples on every run: a failure is reproducible
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    database=None,
)


@pytest.fixture
def api_schema(world: dict[str, Any], make_ticket: Any) -> Iterator[Any]:
    from project.wsgi import application

    ticket = make_ticket()
    comment = services.comment_create(
        actor=actor_for(world["outsider"]), ticket_id=ticket.pk, body="First comment"
    )
    _moderation_world(world, ticket.pk, comment.pk)
    # As Django's test client does: a finished request must not close the connection that
    # holds the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/schema/", application)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _moderation_world(world: dict[str, Any], ticket_id: int, comment_id: int) -> None:
    """Something in every moderation answer (queue, sanctions, audit, emergencies, offers), so
    the fuzz checks full answers against the schema, not only empty lists."""
    agent = actor_for(world["agent"])
    moderation.flag_create(actor=actor_for(world["owner"]), comment_id=comment_id, reason="spam")
    moderation.emergency_create(
        actor=agent,
        name="Storm",
        slug="storm",
        starts_at=timezone.now() - timedelta(hours=1),
        ends_at=timezone.now() + timedelta(days=1),
    )
    offer = moderation.offer_create(
        actor=actor_for(world["owner"]), ticket_id=ticket_id, message="I can help", contact="555"
    )
    moderation.offer_review(actor=agent, offer_id=offer.pk, decision="accept")
    target = Comment.objects.get(pk=comment_id).author.public_key
    moderation.sanction_create(
        actor=agent, author_key=target, kind="rate_limit", reason="flood", limit_count=5
    )


@pytest.fixture
def agent_headers(world: dict[str, Any]) -> dict[str, str]:
    token, _ = Token.objects.get_or_create(user=world["agent"])
    return {"Authorization": f"Token {token.key}"}


def _summary(exc: BaseException) -> str:
    """The distinct failures of a schemathesis FailureGroup, one line each."""
    inner = getattr(exc, "exceptions", None) or [exc]
    lines = []
    for failure in inner:
        title = getattr(failure, "title", type(failure).__name__)
        message = str(getattr(failure, "message", failure)).strip().splitlines()
        lines.append(f"{title}: {message[0] if message else ''}"[:300])
    curl = [line.strip() for line in str(exc).splitlines() if line.strip().startswith("curl ")]
    return "; ".join(lines) + (f" [{curl[0][:300]}]" if curl else "")


def fuzz(schema: Any, headers: dict[str, str] | None = None) -> tuple[int, list[str]]:
    """Run every operation of `schema`; return (examples run, failures)."""
    failures: list[str] = []
    examples = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @FUZZ
        def run(case: Any) -> None:
            nonlocal examples
            examples += 1
            # Each example on the same seeded world: whatever it wrote is rolled back, and a
            # failing one cannot leave the test's transaction unusable for the next.
            savepoint = transaction.savepoint()
            try:
                # Uncompressed answers: schemathesis' WSGI transport does not undo the gzip that
                # GZipMiddleware applies (compression is checked by tests/browser/).
                sent = {"Accept-Encoding": "identity", **(headers or {})}
                case.call_and_validate(headers=sent, checks=CHECKS)
            finally:
                # A failed example may have marked the transaction broken: rolling back to the
                # savepoint restores a usable state, as a TestCase does between tests.
                transaction.set_rollback(False)
                transaction.savepoint_rollback(savepoint)

        try:
            run()
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # schemathesis' FailureGroup: collected, reported together
            failures.append(f"{operation.method.upper()} {operation.path}: {_summary(exc)}")
    return examples, failures


def test_every_operation_as_an_agent(api_schema: Any, agent_headers: dict[str, str]) -> None:
    examples, failures = fuzz(api_schema, agent_headers)
    print(f"fuzzed as agent: {examples} examples")
    assert examples > 0
    assert not failures, "\n\n".join(failures)


def test_every_read_anonymously(api_schema: Any) -> None:
    examples, failures = fuzz(api_schema.include(method="GET"))
    print(f"fuzzed anonymously: {examples} examples")
    assert examples > 0
    assert not failures, "\n\n".join(failures)
