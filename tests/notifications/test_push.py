"""Web Push: a real HTTP server on loopback stands in for the push service; the test decrypts
what it receives with the fake browser's own keys (`http_ece`, aes128gcm), as a phone would."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings as django_settings
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from notifications import push
from notifications.models import (
    AreaSubscription,
    NotificationPreference,
    PushDelivery,
    PushSubscription,
)
from tests.conftest import actor_for
from tests.notifications.conftest import run_tasks
from tickets import services
from tickets.models import Ticket


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _pem(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class PushService:
    """The stand-in push service: records every message; answers `answers` in turn, then 201."""

    url: str
    received: list[Received] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)

    def wait_for(self, count: int, timeout: float = 30) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.received


@pytest.fixture
def push_service() -> Iterator[PushService]:
    service = PushService(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            service.received.append(Received(self.path, headers, body))
            status = service.answers.pop(0) if service.answers else 201
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    service.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield service
    server.shutdown()
    server.server_close()


@dataclass
class Browser:
    """A browser's push subscription: its own P-256 key pair and auth secret."""

    endpoint: str
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    def subscription_json(self) -> dict[str, Any]:
        point = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"endpoint": self.endpoint, "keys": {"p256dh": _b64(point), "auth": _b64(self.auth)}}

    def read(self, message: Received) -> dict[str, Any]:
        assert message.headers.get("content-encoding") == "aes128gcm"
        clear = http_ece.decrypt(
            message.body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"
        )
        return json.loads(clear)


VAPID_KEY = ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def vapid(settings: Any) -> str:
    settings.FIXLINE_VAPID_PRIVATE_KEY = _pem(VAPID_KEY)
    settings.FIXLINE_VAPID_PUBLIC_KEY = ""
    settings.FIXLINE_VAPID_SUBJECT = "mailto:ops@example.org"
    settings.FIXLINE_PUSH_ALLOW_LOOPBACK_HTTP = True
    return push.public_key()


def _token_client(user: Any) -> APIClient:
    client = APIClient()
    token, _created = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def _subscribe(client: APIClient, browser: Browser) -> Any:
    return client.post("/api/v1/push/subscriptions/", browser.subscription_json(), format="json")


# --- Off without a key -------------------------------------------------------------------------


def test_without_a_vapid_key_push_is_hidden_and_off(
    world: Any, make_ticket: Any, settings: Any
) -> None:
    settings.FIXLINE_VAPID_PRIVATE_KEY = ""
    page = APIClient().get("/")
    assert page.status_code == 200 and b"data-push-key" not in page.content
    client = _token_client(world["outsider"])
    browser = Browser("https://push.example.net/send/abc")
    assert _subscribe(client, browser).status_code == 404
    assert (
        client.delete(
            "/api/v1/push/subscriptions/", {"endpoint": browser.endpoint}, format="json"
        ).status_code
        == 404
    )
    ticket = make_ticket()
    services.ticket_react(actor=actor_for(world["outsider"]), ticket_id=ticket.pk, kind="follow")
    services.ticket_transition(actor=actor_for(world["agent"]), ticket_id=ticket.pk, action="close")
    run_tasks()
    assert not PushDelivery.objects.exists()


def test_pages_carry_the_application_server_key(world: Any, vapid: str) -> None:
    page = APIClient().get("/")
    assert f'data-push-key="{vapid}"'.encode() in page.content
    raw = base64.urlsafe_b64decode(vapid + "=" * (-len(vapid) % 4))
    assert len(raw) == 65 and raw[0] == 4  # an uncompressed P-256 point


# --- The subscriptions API -------------------------------------------------------------------


def test_subscribing_is_idempotent_per_endpoint_and_can_be_undone(world: Any, vapid: str) -> None:
    client = _token_client(world["outsider"])
    browser = Browser("https://push.example.net/send/abc")
    first = _subscribe(client, browser)
    assert first.status_code == 201, first.content
    again = _subscribe(client, browser)
    assert again.status_code == 201 and again.json() == first.json()
    assert PushSubscription.objects.count() == 1
    gone = client.delete(
        "/api/v1/push/subscriptions/", {"endpoint": browser.endpoint}, format="json"
    )
    assert gone.status_code == 204
    assert not PushSubscription.objects.exists()


def test_an_anonymous_browser_subscribes_with_its_cookie(world: Any, vapid: str) -> None:
    client = APIClient()
    client.get("/")  # the page load hands out the anonymous cookie
    answer = _subscribe(client, Browser("https://push.example.net/send/anon"))
    assert answer.status_code == 201
    row = PushSubscription.objects.get()
    assert row.identity.kind == "anonymous"
    # Without cookie or account there is nobody to tie it to.
    assert _subscribe(APIClient(), Browser("https://push.example.net/x")).status_code == 403


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"endpoint": "http://push.example.net/send/abc"}, "endpoint"),
        ({"endpoint": "https://10.0.0.5/send/abc"}, "endpoint"),
        ({"endpoint": "https://localhost/send/abc"}, "endpoint"),
        ({"endpoint": "not a url"}, "endpoint"),
        ({"keys": {"p256dh": "AAAA", "auth": _b64(b"x" * 16)}}, "keys"),
        ({"keys": {"p256dh": "!!", "auth": "short"}}, "keys"),
        ({"keys": "nope"}, "keys"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    world: Any, vapid: str, change: dict[str, Any], field: str
) -> None:
    body = {**Browser("https://push.example.net/send/abc").subscription_json(), **change}
    answer = _token_client(world["outsider"]).post(
        "/api/v1/push/subscriptions/", body, format="json"
    )
    assert answer.status_code == 400
    assert field in json.dumps(answer.json())
    assert not PushSubscription.objects.exists()


def test_loopback_http_needs_debug_or_the_test_setting(
    world: Any, vapid: str, settings: Any, push_service: PushService
) -> None:
    settings.FIXLINE_PUSH_ALLOW_LOOPBACK_HTTP = False
    client = _token_client(world["outsider"])
    assert _subscribe(client, Browser(push_service.url + "/x")).status_code == 400
    settings.FIXLINE_PUSH_ALLOW_LOOPBACK_HTTP = True
    assert _subscribe(client, Browser(push_service.url + "/x")).status_code == 201


# --- What is pushed --------------------------------------------------------------------------


def _follower_with_browser(
    world: Any, ticket: Ticket, push_service: PushService, name: str = "/follower"
) -> Browser:
    browser = Browser(push_service.url + name)
    assert _subscribe(_token_client(world["outsider"]), browser).status_code == 201
    services.ticket_react(actor=actor_for(world["outsider"]), ticket_id=ticket.pk, kind="follow")
    return browser


def test_a_follower_gets_an_encrypted_push_when_the_agent_closes_the_ticket(
    world: Any, make_ticket: Any, vapid: str, push_service: PushService
) -> None:
    ticket = make_ticket(title="Fallen tree on Elm Street")
    browser = _follower_with_browser(world, ticket, push_service)
    run_tasks()
    assert push_service.received == []  # following is not news
    agent = world["agent"]
    agent.first_name, agent.last_name = "Agatha", "Fieldwork"
    agent.save()
    services.ticket_transition(
        actor=actor_for(agent), ticket_id=ticket.pk, action="close", note="Cleared by Agatha."
    )
    run_tasks()
    [message] = push_service.received
    assert message.path == "/follower"
    assert message.headers["authorization"].startswith("vapid t=")
    assert f"k={vapid}" in message.headers["authorization"]
    data = browser.read(message)
    assert data == {
        "title": f"#{ticket.pk} is now Closed",
        "body": "Fallen tree on Elm Street",
        "url": f"/tickets/{ticket.pk}/",
        "tag": f"ticket-{ticket.pk}",
    }
    text = json.dumps(data)
    for private in ("Agatha", "Fieldwork", "agent", "@", "owner", "Olive"):
        assert private not in text
    assert PushDelivery.objects.get().status == "sent"
    # A second run of the same work pushes nothing more.
    run_tasks()
    assert len(push_service.received) == 1


def test_the_push_is_in_the_followers_language(
    world: Any, make_ticket: Any, vapid: str, push_service: PushService
) -> None:
    NotificationPreference.objects.create(user=world["outsider"], language="fr")
    ticket = make_ticket()
    browser = _follower_with_browser(world, ticket, push_service)
    services.ticket_transition(actor=actor_for(world["agent"]), ticket_id=ticket.pk, action="close")
    run_tasks()
    assert (
        browser.read(push_service.received[0])["title"] == f"Le n° {ticket.pk} est maintenant Fermé"
    )


def test_official_replies_are_pushed_and_other_comments_are_not(
    world: Any, make_ticket: Any, vapid: str, push_service: PushService
) -> None:
    ticket = make_ticket()
    browser = _follower_with_browser(world, ticket, push_service)
    services.comment_create(
        actor=actor_for(world["owner"]), ticket_id=ticket.pk, body="Still there"
    )
    run_tasks()
    assert push_service.received == []
    services.comment_create(
        actor=actor_for(world["agent"]), ticket_id=ticket.pk, body="Crew on the way."
    )
    run_tasks()
    data = browser.read(push_service.received[0])
    assert data["title"] == f"Official reply on #{ticket.pk}"
    assert "Crew" not in json.dumps(data)


def test_nobody_is_pushed_their_own_change(
    world: Any, make_ticket: Any, vapid: str, push_service: PushService
) -> None:
    ticket = make_ticket()
    browser = Browser(push_service.url + "/agent")
    assert _subscribe(_token_client(world["agent"]), browser).status_code == 201
    services.ticket_react(actor=actor_for(world["agent"]), ticket_id=ticket.pk, kind="follow")
    services.ticket_transition(actor=actor_for(world["agent"]), ticket_id=ticket.pk, action="close")
    run_tasks()
    assert push_service.received == []


def test_an_area_alert_owner_with_a_browser_hears_of_new_tickets(
    world: Any, make_ticket: Any, vapid: str, push_service: PushService, clock: Any
) -> None:
    AreaSubscription.objects.create(
        email="OUTSIDER@example.org", jurisdiction=world["old_port"], confirmed_at=clock.now()
    )
    browser = Browser(push_service.url + "/alerts")
    assert _subscribe(_token_client(world["outsider"]), browser).status_code == 201
    ticket = make_ticket(title="Blocked drain")
    run_tasks()
    data = browser.read(push_service.wait_for(1)[0])
    assert data["title"] == f"New report #{ticket.pk} near you"
    assert data["body"].startswith("Blocked drain")
    assert data["url"] == f"/tickets/{ticket.pk}/"


def test_a_new_report_push_names_the_type_in_the_recipients_language(
    world: Any, make_ticket: Any, vapid: str, push_service: PushService, clock: Any
) -> None:
    """Issue 18: a French recipient reads the type's French name, never the English one."""
    NotificationPreference.objects.create(user=world["outsider"], language="fr")
    AreaSubscription.objects.create(
        email="outsider@example.org", jurisdiction=world["old_port"], confirmed_at=clock.now()
    )
    browser = Browser(push_service.url + "/alerts")
    assert _subscribe(_token_client(world["outsider"]), browser).status_code == 201
    ticket = make_ticket(title="Rue bloquée", service_code="snow")
    run_tasks()
    data = browser.read(push_service.wait_for(1)[0])
    assert data["title"] == f"Nouveau signalement n° {ticket.pk} près de chez vous"
    assert data["body"] == "Rue bloquée · Rue non déneigée"


def test_an_expired_subscription_410_is_removed(
    world: Any, make_ticket: Any, vapid: str, push_service: PushService
) -> None:
    ticket = make_ticket()
    _follower_with_browser(world, ticket, push_service)
    push_service.answers = [410]
    services.ticket_transition(actor=actor_for(world["agent"]), ticket_id=ticket.pk, action="close")
    run_tasks()
    assert len(push_service.received) == 1
    assert not PushSubscription.objects.exists()
    services.ticket_transition(
        actor=actor_for(world["owner"]), ticket_id=ticket.pk, action="reopen", note="Not fixed."
    )
    run_tasks()
    assert len(push_service.received) == 1  # nothing more to a dead subscription


def test_a_500_is_retried_with_back_off(
    world: Any, make_ticket: Any, vapid: str, push_service: PushService, clock: Any
) -> None:
    ticket = make_ticket()
    browser = _follower_with_browser(world, ticket, push_service)
    push_service.answers = [500, 503]
    services.ticket_transition(actor=actor_for(world["agent"]), ticket_id=ticket.pk, action="close")
    run_tasks()
    delivery = PushDelivery.objects.get()
    assert len(push_service.received) == 1
    assert delivery.status == "pending" and "500" in delivery.last_error
    clock.advance(seconds=16)  # the first back-off step (15 s)
    run_tasks()
    assert len(push_service.received) == 2
    clock.advance(seconds=31)  # then 30 s
    run_tasks()
    assert len(push_service.received) == 3
    delivery.refresh_from_db()
    assert delivery.status == "sent" and delivery.attempts == 3
    assert browser.read(push_service.received[-1])["url"] == f"/tickets/{ticket.pk}/"
    assert PushSubscription.objects.exists()


# --- Through the real worker process ---------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_real_worker_pushes_to_a_follower_when_the_agent_closes(
    world: Any, make_ticket: Any, vapid: str, push_service: PushService, tmp_path: Path
) -> None:
    from django_tasks_db.models import DBTaskResult

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
        "FIXLINE_VAPID_PRIVATE_KEY": _pem(VAPID_KEY),
        "FIXLINE_VAPID_SUBJECT": "mailto:ops@example.org",
        "FIXLINE_PUSH_ALLOW_LOOPBACK_HTTP": "true",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "DJANGO_SETTINGS_MODULE": "project.settings",
    }
    env.pop("EMAIL_URL", None)
    ticket = make_ticket(title="Streetlight out")
    client = APIClient()
    client.get("/")  # an anonymous neighbour's browser, known by its cookie
    browser = Browser(push_service.url + "/neighbour")
    assert _subscribe(client, browser).status_code == 201
    assert client.post(f"/api/v1/tickets/{ticket.pk}/follow/").status_code == 200
    worker = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--no-reload",
            "--no-startup-delay",
            "--interval",
            "0.2",
        ],  # fmt: skip
        cwd=django_settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # The worker is up once it has done the ticket's own work (receipt, agents' mail).
        deadline = time.monotonic() + 90
        while DBTaskResult.objects.filter(status="READY").exists():
            assert time.monotonic() < deadline, "the worker did not start"
            time.sleep(0.2)
        started = time.monotonic()
        closed = _token_client(world["agent"]).post(
            f"/api/v1/tickets/{ticket.pk}/transitions/", {"action": "close"}, format="json"
        )
        assert closed.status_code == 200
        received = push_service.wait_for(1, timeout=60)
        elapsed = time.monotonic() - started
    finally:
        worker.terminate()
        output, _unused = worker.communicate(timeout=30)
    assert received, output
    data = browser.read(received[0])
    assert data["title"] == f"#{ticket.pk} is now Closed"
    assert data["url"] == f"/tickets/{ticket.pk}/"
    assert elapsed < 20, elapsed  # "within seconds", generous on a busy machine
    print(f"push received {elapsed:.2f}s after the agent closed the ticket")


def test_the_key_may_be_base64url_and_a_wrong_public_key_stops_start_up(settings: Any) -> None:
    from django.core.exceptions import ImproperlyConfigured

    scalar = VAPID_KEY.private_numbers().private_value.to_bytes(32, "big")
    settings.FIXLINE_VAPID_PRIVATE_KEY = _b64(scalar)
    settings.FIXLINE_VAPID_PUBLIC_KEY = ""
    from_raw = push.public_key()
    settings.FIXLINE_VAPID_PRIVATE_KEY = _pem(VAPID_KEY)
    assert push.public_key() == from_raw
    settings.FIXLINE_VAPID_PUBLIC_KEY = from_raw
    assert push.public_key() == from_raw
    settings.FIXLINE_VAPID_PUBLIC_KEY = Browser("x").subscription_json()["keys"]["p256dh"]
    with pytest.raises(ImproperlyConfigured, match="FIXLINE_VAPID_PUBLIC_KEY"):
        push.public_key()
    settings.FIXLINE_VAPID_PRIVATE_KEY = "not a key"
    with pytest.raises(ImproperlyConfigured, match="FIXLINE_VAPID_PRIVATE_KEY"):
        push.public_key()
