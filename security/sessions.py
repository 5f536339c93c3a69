"""Sockets follow the session (docs/security.md, "Round 2: proxies and sockets").

A socket used to be authorised once, at its handshake: after a logout, a revoked trust grant
or with a session that predates turning on two-factor authentication, `/ws/moderation/` kept
receiving. Now:

* `SessionUserMiddleware` (in the socket stack, after Channels' session and auth middleware)
  applies the HTTP rule of `security.middleware.RequireOTPMiddleware` at the handshake (an
  account with 2FA on whose session was not verified with a code is anonymous), and puts in
  the scope an async callable giving the session's account as it is *now*; signed-in sockets
  call it on every re-check (`realtime.consumers.BaseConsumer.recheck`).
* The receivers below tell an account's sockets to re-check (`realtime.publish.recheck_on_commit`,
  after commit) on logout, on any change of its groups (trust) or of the jurisdictions it is
  an agent of (the admin, `moderation.services.trust`), on changes to the account itself
  (deactivated, password changed, made staff) and when a 2FA device is added or removed.
  Each socket then re-reads its own session: the logout of one browser closes that
  browser's sockets (4401), not the account's others; a lost role closes them all (4403).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import get_user
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from realtime import publish
from realtime.consumers import SESSION_USER
from security.middleware import has_two_factor
from tickets.models import Jurisdiction


class _SessionOnly:
    """What `django.contrib.auth.get_user` needs of a request."""

    def __init__(self, session: Any) -> None:
        self.session = session


def second_factor_verified(user: Any, session: Any) -> bool:
    """The session was verified with a confirmed device of this account (django_otp's rule)."""
    persistent_id = session.get(DEVICE_ID_SESSION_KEY) if session is not None else None
    if not persistent_id:
        return False
    device = Device.from_persistent_id(persistent_id)
    return device is not None and device.user_id == user.pk and device.confirmed


def session_user(session_key: str | None) -> Any:
    """The account of this session as stored now: anonymous when the session is gone (logout,
    expiry), its password hash changed, the account deactivated, or 2FA is on and the session
    never gave a code."""
    if not session_key:
        return AnonymousUser()
    engine = import_module(settings.SESSION_ENGINE)
    session = engine.SessionStore(session_key)
    user = get_user(_SessionOnly(session))  # type: ignore[arg-type]
    if user.is_authenticated and has_two_factor(user) and not second_factor_verified(user, session):
        return AnonymousUser()
    return user


class SessionUserMiddleware:
    """ASGI: inside `AuthMiddlewareStack`, around the socket router."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        session = scope.get("session")
        key = getattr(session, "session_key", None)
        read = database_sync_to_async(session_user)

        async def current() -> Any:
            return await read(key)

        user = scope.get("user")
        if key and user is not None and await database_sync_to_async(_is_authenticated)(user):
            user = await current()
        scope = {**scope, "user": user, SESSION_USER: current}
        return await self.inner(scope, receive, send)


def _is_authenticated(user: Any) -> bool:
    return bool(user.is_authenticated)  # resolves Channels' lazy user (a database read)


# --- What makes a socket re-check ------------------------------------------------------------
@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None and user.pk is not None:
        publish.recheck_on_commit([user.pk])


def _members(instance: Any, action: str, instance_is_user: bool, pk_set: Any, current: Any) -> Any:
    """The user ids whose membership changed, from an m2m signal; `current()` lists the
    members before a clear."""
    if action not in ("post_add", "post_remove", "pre_clear"):
        return []
    if instance_is_user:
        return [instance.pk]
    if action == "pre_clear":
        return list(current())
    return list(pk_set or ())


@receiver(m2m_changed, sender=User.groups.through)
def _groups_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any
) -> None:
    # user.groups.add(...) (the instance is the user) or group.user_set.add(...).
    def current() -> Any:
        return instance.user_set.values_list("pk", flat=True)

    publish.recheck_on_commit(_members(instance, action, not reverse, pk_set, current))


@receiver(m2m_changed, sender=Jurisdiction.agents.through)
def _agents_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any
) -> None:
    # jurisdiction.agents.add(...) or user.agent_of.add(...) (the instance is the user).
    def current() -> Any:
        return instance.agents.values_list("pk", flat=True)

    publish.recheck_on_commit(_members(instance, action, reverse, pk_set, current))


@receiver(post_save, sender=User)
def _user_saved(
    sender: Any, instance: User, created: bool, update_fields: Any = None, **kwargs: Any
) -> None:
    # Deactivated, password changed, staff rights changed...; not the login's own last_login.
    if not created and set(update_fields or ()) != {"last_login"}:
        publish.recheck_on_commit([instance.pk])


@receiver(post_save, sender=TOTPDevice)
@receiver(post_delete, sender=TOTPDevice)
def _device_changed(sender: Any, instance: TOTPDevice, **kwargs: Any) -> None:
    publish.recheck_on_commit([instance.user_id])
