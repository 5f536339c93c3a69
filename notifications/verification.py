"""Proving an address before mailing it, and the password-reset mail. Sign-up (and a
reporter's contact address) gets one verification mail through the outbox; the signed link
in it carries the verification's id, never the address. Password-reset mail is queued by the
worker, so the request does the same work whether or not the address belongs to anyone."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from notifications import jobs, links, mail
from notifications.models import AddressVerification, Delivery
from notifications.recipients import language_for, verified_email


def request_verification(
    *, email: str, language: str, user: Any = None
) -> AddressVerification | None:
    """Queue one verification mail to `email` (nothing when it is already verified, or
    when the outbox's per-address limit for verification mail is reached)."""
    address = mail.normalize(email)
    if not address or _done(address, user):
        return None
    with transaction.atomic():
        verification = AddressVerification.objects.create(email=address, user=user)
        delivery = mail.queue(
            recipient=address,
            key=f"verify:{verification.pk}",
            kind="verify_email",
            language=language,
            context={
                "username": user.get_username() if user is not None else "",
                "verify_url": links.verify_email_url(verification.pk),
            },
        )
        if delivery is None:  # throttled: no link went out, keep no row
            verification.delete()
            return None
    return verification


def _done(address: str, user: Any) -> bool:
    """Verified already: by this account (account mail is verified per account), or, for
    an address without an account, by anyone."""
    if user is not None:
        return AddressVerification.objects.filter(
            user=user, email=address, verified_at__isnull=False
        ).exists()
    return mail.is_verified(address)


def pending_verification(verification_id: int) -> AddressVerification | None:
    return AddressVerification.objects.filter(pk=verification_id).first()


def confirm(*, verification: AddressVerification) -> None:
    first = AddressVerification.objects.filter(pk=verification.pk, verified_at__isnull=True).update(
        verified_at=timezone.now()
    )
    if first and verification.user_id is None:
        # An address given with a report (no account): the receipt it was waiting for.
        jobs.receipts_after_verification(verification.pk)


def mark_verified(*, email: str, user: Any = None) -> None:
    """An address proven another way (an area alert confirmed from it; demo accounts)."""
    address = mail.normalize(email)
    if address and not _done(address, user):
        now = timezone.now()
        AddressVerification.objects.create(
            email=address, user=user, created_at=now, verified_at=now
        )


def request_password_reset(*, email: str) -> None:
    """What the password-reset form does, for any address: enqueue one task."""
    jobs.password_reset_mail(mail.normalize(email)[:254])


def send_password_reset(email: str) -> list[Delivery]:
    """The worker's half: a reset mail to each active account with a usable password at
    `email` (Django's rule); the outbox drops it when the address is unverified or has had
    its hourly share of reset mail."""
    sent = []
    for user in PasswordResetForm().get_users(email):
        if not verified_email(user):
            continue  # this account never proved the address
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        token = default_token_generator.make_token(user)
        path = reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})
        delivery = mail.queue(
            recipient=user.email,
            key=f"reset:{user.pk}:{token}",
            kind="password_reset",
            language=language_for(user),
            context={"username": user.get_username(), "reset_url": links.absolute(path)},
        )
        if delivery is not None:
            sent.append(delivery)
    return sent
