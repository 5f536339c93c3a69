"""API tokens end: they expire, `DELETE` revokes them, a password change or turning on 2FA
rotates them, and the token endpoint answers a wrong password and a missing code alike."""

from __future__ import annotations

import statistics
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from tests.security.test_accounts import code, enable_2fa, fresh, token

ME = "/api/v1/notifications/"  # any endpoint that needs a signed-in caller


def get_with(key: str) -> Any:
    return Client().get(ME, HTTP_AUTHORIZATION=f"Token {key}")


def issue(username: str = "citizen", password: str = "demo-citizen", **extra: str) -> str:
    response = token(Client(), username, password, **extra)
    assert response.status_code == 200, response.content
    return str(response.json()["token"])


def test_token_works_and_says_when_it_expires(world: dict[str, Any]) -> None:
    response = token(Client(), "citizen", "demo-citizen")
    assert response.status_code == 200
    assert response.json()["expires"]
    assert get_with(response.json()["token"]).status_code == 200


def test_an_expired_token_is_refused_like_an_unknown_one(world: dict[str, Any]) -> None:
    key = issue()
    days = settings.FIXLINE["API_TOKEN_TTL_DAYS"]
    Token.objects.filter(key=key).update(created=timezone.now() - timedelta(days=days, minutes=1))
    expired, unknown = get_with(key), get_with("0" * 40)
    assert expired.status_code == unknown.status_code == 401
    assert expired.json() == unknown.json()
    renewed = issue()  # logging in again gives a new token, not the expired one
    assert renewed != key and get_with(renewed).status_code == 200


def test_delete_revokes_the_callers_token(world: dict[str, Any]) -> None:
    key = issue()
    other = issue("agent", "demo-agent")
    revoked = Client().delete("/api/v1/auth/token/", HTTP_AUTHORIZATION=f"Token {key}")
    assert revoked.status_code == 204
    assert get_with(key).status_code == 401
    assert get_with(other).status_code == 200  # only the caller's
    assert Client().delete("/api/v1/auth/token/").status_code == 401


def test_a_password_change_revokes_the_token(world: dict[str, Any]) -> None:
    key = issue()
    client = Client()
    client.force_login(world["citizen"])
    changed = client.post(
        "/accounts/password_change/",
        {
            "old_password": "demo-citizen",
            "new_password1": "a-new-long-passphrase-7",
            "new_password2": "a-new-long-passphrase-7",
        },
    )
    assert changed.status_code == 302
    assert get_with(key).status_code == 401
    assert get_with(issue(password="a-new-long-passphrase-7")).status_code == 200


def test_a_token_from_before_2fa_stops_working_once_2fa_is_on(world: dict[str, Any]) -> None:
    key = issue("agent", "demo-agent")
    device = enable_2fa(world["agent"])
    assert get_with(key).status_code == 401
    new = issue("agent", "demo-agent", otp_token=code(fresh(device)))
    assert get_with(new).status_code == 200
    # Codes verified later (django-otp saves the device each time) do not rotate it again.
    issue("agent", "demo-agent", otp_token=code(fresh(device)))
    assert get_with(new).status_code == 200


def test_wrong_password_and_missing_code_answer_alike(world: dict[str, Any], settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    agent = world["agent"]
    agent.set_password("demo-agent")  # hashed with the real (slow) hasher
    agent.save()
    device = enable_2fa(agent)

    def timed(password: str) -> tuple[Any, float]:
        fresh(device)
        started = time.perf_counter()
        response = token(Client(), "agent", password)
        return response, time.perf_counter() - started

    tries = [(timed("demo-agent"), timed("not-the-password")) for _ in range(3)]
    (missing, _), (wrong, _) = tries[0]
    assert missing.status_code == wrong.status_code == 400
    assert missing.json() == wrong.json()
    right = statistics.median(t for (_, t), _w in tries)
    bad = statistics.median(t for _r, (_, t) in tries)
    print(f"median refusal: password right, no code {right:.3f} s; wrong password {bad:.3f} s")
    assert max(right, bad) < 3 * min(right, bad), (right, bad)  # both hash the password once
