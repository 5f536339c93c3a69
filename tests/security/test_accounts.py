"""Accounts: password validators, login throttling (form, admin and API token), session
rotation, no user enumeration through the login, and two-factor authentication."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

LIMIT = settings.AXES_FAILURE_LIMIT


def login(client: Client, username: str, password: str) -> Any:
    return client.post("/accounts/login/", {"username": username, "password": password})


def token(client: Client, username: str, password: str, **extra: str) -> Any:
    return client.post(
        "/api/v1/auth/token/",
        {"username": username, "password": password, **extra},
        content_type="application/json",
    )


def logged_in_user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


# --- Password validators ---------------------------------------------------------------------


@pytest.mark.django_db
def test_weak_passwords_are_refused() -> None:
    user = get_user_model()(username="newcomer", email="newcomer@example.org")
    for weak in ("short", "password123", "12345678901", "newcomer1"):
        with pytest.raises(ValidationError):
            validate_password(weak, user)
    validate_password("a-long horse battery 47", user)


def test_signup_refuses_a_weak_password(db: Any) -> None:
    response = Client().post(
        "/accounts/signup/",
        {"username": "weakling", "email": "weak@example.org", "password1": "password",
         "password2": "password"},
    )  # fmt: skip
    assert response.status_code == 400
    assert not get_user_model().objects.filter(username="weakling").exists()


# --- Throttling --------------------------------------------------------------------------------


def test_login_form_locks_out_after_repeated_failures(world: dict[str, Any]) -> None:
    client = Client()
    for _ in range(LIMIT - 1):
        assert login(client, "citizen", "wrong-password").status_code == 200
    assert login(client, "citizen", "wrong-password").status_code == 429
    # Even the right password is refused while locked out.
    locked = login(client, "citizen", "demo-citizen")
    assert locked.status_code == 429
    assert logged_in_user_id(client) is None
    # Someone else (another address) is not locked out of their own account.
    other = Client(REMOTE_ADDR="198.51.100.99")
    assert login(other, "citizen", "demo-citizen").status_code == 302


def test_token_endpoint_locks_out_too(world: dict[str, Any]) -> None:
    client = Client()
    for _ in range(LIMIT - 1):
        assert token(client, "agent", "wrong").status_code == 400
    assert token(client, "agent", "wrong").status_code == 429
    locked = token(client, "agent", "demo-agent")
    assert locked.status_code == 429 and "token" not in locked.json()
    assert "Retry-After" in locked


def test_admin_login_goes_through_the_throttled_login(world: dict[str, Any]) -> None:
    response = Client().get("/admin/login/?next=/admin/")
    assert response.status_code in (302, 303)
    assert response["Location"].startswith("/accounts/login/")


def test_lockout_records_no_raw_address(world: dict[str, Any]) -> None:
    from axes.models import AccessAttempt

    client = Client(REMOTE_ADDR="203.0.113.45")
    for _ in range(2):
        login(client, "citizen", "nope")
    stored = list(AccessAttempt.objects.values_list("ip_address", flat=True))
    assert stored and "203.0.113.45" not in stored
    assert all(address.startswith("fd") for address in stored)


# --- Sessions and enumeration ------------------------------------------------------------------


def test_session_key_changes_on_login(world: dict[str, Any]) -> None:
    client = Client()
    client.get("/accounts/login/")
    session = client.session
    session["before-login"] = True
    session.save()
    before = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert login(client, "citizen", "demo-citizen").status_code == 302
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before
    assert logged_in_user_id(client)


def _without_csrf(html: str) -> str:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    # The moment the page was rendered (the offline copy's "as of"), different on each load.
    html = re.sub(r'name="fixline-rendered-at" content="[^"]+"', "", html)
    return re.sub(r'value="(unknown-person|citizen)"', 'value=""', html)


def test_unknown_user_and_wrong_password_look_the_same(world: dict[str, Any]) -> None:
    unknown = login(Client(), "unknown-person", "some-password")
    wrong = login(Client(), "citizen", "some-password")
    assert unknown.status_code == wrong.status_code == 200
    assert _without_csrf(unknown.content.decode()) == _without_csrf(wrong.content.decode())
    api_unknown = token(Client(), "unknown-person", "x")
    api_wrong = token(Client(), "citizen", "x")
    assert api_unknown.status_code == api_wrong.status_code == 400
    assert api_unknown.json() == api_wrong.json()


def test_unknown_users_still_cost_a_password_hash(world: dict[str, Any], settings: Any) -> None:
    """Django's ModelBackend runs the hasher for unknown usernames (no timing oracle); this
    fails if a backend short-circuits."""
    from unittest import mock

    from django.contrib.auth.hashers import make_password

    with mock.patch(
        "django.contrib.auth.base_user.make_password", side_effect=make_password
    ) as hashed:
        login(Client(), "unknown-person", "whatever")
    assert hashed.called


def test_demo_login_without_two_factor_keeps_working(world: dict[str, Any]) -> None:
    client = Client(enforce_csrf_checks=True)
    page = client.get("/accounts/login/")
    csrf = client.cookies["csrftoken"].value
    assert 'name="username"' in page.content.decode()
    response = client.post(
        "/accounts/login/",
        {"username": "agent", "password": "demo-agent", "csrfmiddlewaretoken": csrf},
    )
    assert response.status_code == 302
    assert logged_in_user_id(client) == str(world["agent"].pk)


# --- Two-factor authentication -----------------------------------------------------------------


def code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def fresh(device: TOTPDevice) -> TOTPDevice:
    """Forget the last used time step (a code is accepted once), so a test can log in twice
    within the same 30 seconds."""
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1, throttling_failure_count=0)
    return TOTPDevice.objects.get(pk=device.pk)


def enable_2fa(user: Any) -> TOTPDevice:
    client = Client()
    client.force_login(user)
    page = client.get("/accounts/two-factor/")
    assert page.status_code == 200 and 'data-enabled="false"' in page.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    wrong = client.post("/accounts/two-factor/", {"action": "enable", "otp_token": "000000"})
    assert wrong.status_code == 400
    device = fresh(device)
    response = client.post("/accounts/two-factor/", {"action": "enable", "otp_token": code(device)})
    assert response.status_code == 303
    assert 'data-enabled="true"' in client.get("/accounts/two-factor/").content.decode()
    return fresh(TOTPDevice.objects.get(user=user, confirmed=True))


def test_agent_turns_on_2fa_and_login_then_asks_for_a_code(world: dict[str, Any]) -> None:
    device = enable_2fa(world["agent"])
    client = Client()
    response = login(client, "agent", "demo-agent")
    assert response.status_code == 303
    assert response["Location"].startswith("/accounts/login/verify/")
    assert logged_in_user_id(client) is None  # the password alone is not enough
    wrong = client.post("/accounts/login/verify/", {"otp_token": "123456"})
    assert wrong.status_code == 400 and logged_in_user_id(client) is None
    device = fresh(device)
    right = client.post("/accounts/login/verify/", {"otp_token": code(device), "next": "/"})
    assert right.status_code == 303 and right["Location"] == "/"
    assert logged_in_user_id(client) == str(world["agent"].pk)


def test_code_step_cannot_be_skipped_or_replayed(world: dict[str, Any]) -> None:
    device = enable_2fa(world["agent"])
    # No password step: nothing to verify.
    straight = Client().post("/accounts/login/verify/", {"otp_token": code(device)})
    assert straight.status_code == 303 and straight["Location"] == "/accounts/login/"
    client = Client()
    login(client, "agent", "demo-agent")
    used = code(device)
    assert client.post("/accounts/login/verify/", {"otp_token": used}).status_code == 303
    again = Client()
    login(again, "agent", "demo-agent")
    assert again.post("/accounts/login/verify/", {"otp_token": used}).status_code == 400


def test_token_endpoint_requires_the_code_for_2fa_accounts(world: dict[str, Any]) -> None:
    device = enable_2fa(world["agent"])
    missing = token(Client(), "agent", "demo-agent")
    assert missing.status_code == 400 and "otp_token" in str(missing.json())
    ok = token(Client(), "agent", "demo-agent", otp_token=code(fresh(device)))
    assert ok.status_code == 200 and ok.json()["token"]


def test_password_only_session_of_a_2fa_admin_is_refused(world: dict[str, Any]) -> None:
    """A session that never passed the code step (e.g. through another login form) is
    logged out before it reaches the admin or any page."""
    enable_2fa(world["admin"])
    client = Client()
    client.force_login(world["admin"])  # password-only login, no OTP in the session
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert logged_in_user_id(client) is None


def test_admin_without_2fa_still_reaches_the_admin(world: dict[str, Any]) -> None:
    client = Client()
    client.force_login(world["admin"])
    assert client.get("/admin/").status_code == 200


def test_turning_2fa_off_needs_a_code(world: dict[str, Any]) -> None:
    device = enable_2fa(world["agent"])
    client = Client()
    login(client, "agent", "demo-agent")
    client.post("/accounts/login/verify/", {"otp_token": code(device)})
    refused = client.post("/accounts/two-factor/", {"action": "disable", "otp_token": "000000"})
    assert refused.status_code == 400
    assert TOTPDevice.objects.filter(user=world["agent"], confirmed=True).exists()
    device = fresh(device)
    done = client.post("/accounts/two-factor/", {"action": "disable", "otp_token": code(device)})
    assert done.status_code == 303
    assert not TOTPDevice.objects.filter(user=world["agent"]).exists()


# --- Sign-up: throttled per address, no username list (security round 2) ----------------------


def signup(client: Client, username: str, email: str = "", **extra: Any) -> Any:
    return client.post(
        "/accounts/signup/",
        {
            "username": username,
            "email": email,
            "password1": "a-long-passphrase-42",
            "password2": "a-long-passphrase-42",
        },
        **extra,
    )


@pytest.mark.usefixtures("rate_window")
def test_one_address_cannot_make_a_crowd_of_accounts(world: dict[str, Any]) -> None:
    accounts = settings.FIXLINE["SIGNUP_LIMITS"]["accounts"][0]
    made = [signup(Client(), f"sybil{n}") for n in range(accounts + 1)]
    assert [r.status_code for r in made] == [303] * accounts + [429]
    refused = made[-1]
    assert int(refused["Retry-After"]) > 0 and "try again in" in refused.content.decode()
    assert not get_user_model().objects.filter(username=f"sybil{accounts}").exists()
    other = signup(Client(), "neighbour", REMOTE_ADDR="203.0.113.9")  # another address
    assert other.status_code == 303


@pytest.mark.usefixtures("rate_window")
def test_signup_cannot_list_usernames_quickly(world: dict[str, Any]) -> None:
    attempts = settings.FIXLINE["SIGNUP_LIMITS"]["attempts"][0]
    taken = signup(Client(), "citizen")
    assert taken.status_code == 400
    body = taken.content.decode()
    assert "already exists" not in body and "not available" in body
    answers = [signup(Client(), f"citizen{n}", email="bad") for n in range(attempts)]
    assert answers[-1].status_code == 429  # every attempt counts, valid or not
    assert signup(Client(), "agent").status_code == 429
