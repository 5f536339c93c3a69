"""API tokens that end: one per account, refused once older than `API_TOKEN_TTL_DAYS` (401,
as for an unknown token), revoked by `DELETE /api/v1/auth/token/`, and rotated (deleted, so
the next login issues a new one) whenever the password changes or two-factor authentication
is turned on or off, whatever path made the change (forms, password reset, admin, shell)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token


def ttl() -> timedelta:
    return timedelta(days=int(settings.FIXLINE["API_TOKEN_TTL_DAYS"]))


def expires_at(token: Token) -> datetime:
    return token.created + ttl()


class ExpiringTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key: str) -> tuple[Any, Token]:
        user, token = super().authenticate_credentials(key)
        if expires_at(token) <= timezone.now():
            raise exceptions.AuthenticationFailed(_("Invalid token."))  # as for an unknown one
        return user, token


def issue(*, user: Any) -> Token:
    """The account's current token, or a new one when it has none or it expired."""
    with transaction.atomic():
        Token.objects.filter(user=user, created__lte=timezone.now() - ttl()).delete()
        token, _created = Token.objects.get_or_create(user=user)
    return token


def revoke(*, token: Token) -> None:
    Token.objects.filter(pk=token.pk).delete()


def revoke_all(*, user_id: int) -> None:
    Token.objects.filter(user_id=user_id).delete()


# --- Rotation -----------------------------------------------------------------------------------


def _password_changing(sender: Any, instance: Any, update_fields: Any = None, **kw: Any) -> None:
    if instance.pk is None or (update_fields is not None and "password" not in update_fields):
        return
    old = sender.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    instance._fixline_password_changed = old is not None and old != instance.password


def _password_changed(sender: Any, instance: Any, **kw: Any) -> None:
    if getattr(instance, "_fixline_password_changed", False):
        instance._fixline_password_changed = False
        revoke_all(user_id=instance.pk)


def _device_changing(sender: Any, instance: TOTPDevice, **kw: Any) -> None:
    # Only a change of `confirmed` counts: django-otp saves the device at every code.
    old = sender.objects.filter(pk=instance.pk).values_list("confirmed", flat=True).first()
    instance._fixline_enrolment_changed = bool(instance.confirmed) != bool(old)


def _device_changed(sender: Any, instance: TOTPDevice, **kw: Any) -> None:
    if getattr(instance, "_fixline_enrolment_changed", False):
        instance._fixline_enrolment_changed = False
        revoke_all(user_id=instance.user_id)


def _device_deleted(sender: Any, instance: TOTPDevice, **kw: Any) -> None:
    if instance.confirmed:
        revoke_all(user_id=instance.user_id)


def connect() -> None:
    user_model = get_user_model()
    pre_save.connect(_password_changing, sender=user_model, dispatch_uid="fixline.tokens.pw")
    post_save.connect(_password_changed, sender=user_model, dispatch_uid="fixline.tokens.pw")
    pre_save.connect(_device_changing, sender=TOTPDevice, dispatch_uid="fixline.tokens.otp")
    post_save.connect(_device_changed, sender=TOTPDevice, dispatch_uid="fixline.tokens.otp")
    post_delete.connect(_device_deleted, sender=TOTPDevice, dispatch_uid="fixline.tokens.otp")
