"""A person's own data: download it (`account_data`) and anonymise the account
(`account_anonymise`). Civic history stays: tickets, comments, status changes and their events
are never deleted; only the personal identifiers on them are removed.

Both functions find the rows that belong to a person by following every foreign key to the
user or to their Identity, so data kept by apps added later is covered without changes here;
what must never be exported (password hashes, API tokens, 2FA secrets, IP hashes) is excluded
by name below."""

from __future__ import annotations

from base64 import b32encode
from typing import Any

import segno
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.utils import timezone
from django_otp import devices_for_user
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from tickets.models import Comment, Identity, StatusChange, Ticket, TicketEvent

# Never exported, never needed: secrets and pseudonymous network hashes.
SECRET_FIELD_NAMES = {"password", "key", "key_hash", "secret", "token", "session_key"}
SECRET_FIELD_SUFFIXES = ("ip_hash", "_key_hash", "_secret", "_token")
# Models that hold secrets or security bookkeeping rather than the person's data.
SKIPPED_MODELS = {
    "sessions.session",
    "authtoken.token",
    "authtoken.tokenproxy",
    "otp_totp.totpdevice",
    "otp_static.staticdevice",
    "otp_static.statictoken",
    "axes.accessattempt",
    "axes.accesslog",
    "axes.accessfailurelog",
    "admin.logentry",
}
ANONYMOUS = "Anonymous"
# Field names that hold a person's name or contact details on rows they own.
PERSONAL_FIELD_HINTS = ("contact", "email", "phone", "display_name", "actor_name", "first_name",
                        "last_name", "full_name", "author_name")  # fmt: skip


def _label(model: type[models.Model]) -> str:
    return model._meta.label_lower


def _is_secret(field: models.Field) -> bool:
    name = field.name
    return name in SECRET_FIELD_NAMES or name.endswith(SECRET_FIELD_SUFFIXES)


def _links_to(targets: tuple[type[models.Model], ...]) -> list[tuple[type[models.Model], str]]:
    """(model, field name) for every FK / one-to-one pointing at one of `targets`."""
    found = []
    for model in apps.get_models():
        if _label(model) in SKIPPED_MODELS or model in targets:
            continue
        for field in model._meta.get_fields():
            if (
                isinstance(field, models.ForeignKey)  # OneToOneField is a ForeignKey
                and field.related_model in targets
            ):
                found.append((model, field.name))
    return found


def _row(obj: models.Model) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if _is_secret(field):
            continue
        value = getattr(obj, field.attname)
        data[field.attname] = value.isoformat() if hasattr(value, "isoformat") else value
    return data


def _identity_for(user: Any) -> Any:
    return Identity.objects.filter(user=user).first()


def account_data(user: Any) -> dict[str, Any]:
    """Everything kept about this account, grouped by model (`app_label.model`)."""
    identity = _identity_for(user)
    result: dict[str, Any] = {
        "generated_at": timezone.now().isoformat(),
        "account": {
            "username": user.get_username(),
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "date_joined": user.date_joined.isoformat(),
            "last_login": user.last_login.isoformat() if user.last_login else None,
            "groups": sorted(user.groups.values_list("name", flat=True)),
            "two_factor": _has_device(user),
        },
        "identity": (
            {"public_key": identity.public_key, "created_at": identity.created_at.isoformat()}
            if identity
            else None
        ),
        "records": {},
    }
    records: dict[str, list[dict[str, Any]]] = result["records"]
    user_model = get_user_model()
    for model, field_name in _links_to((user_model, Identity)):
        target = identity if model._meta.get_field(field_name).related_model is Identity else user
        if target is None:
            continue
        rows = model._default_manager.filter(**{field_name: target}).order_by("pk")
        for obj in rows[:10_000]:
            records.setdefault(_label(model), []).append(_row(obj))
    # Rows that name the person only by e-mail address (subscriptions, the outbox).
    if user.email:
        for model in apps.get_models():
            if _label(model) in SKIPPED_MODELS or model is user_model:
                continue
            for field in model._meta.concrete_fields:
                if isinstance(field, models.EmailField):
                    for obj in model._default_manager.filter(**{field.name: user.email})[:10_000]:
                        bucket = records.setdefault(_label(model), [])
                        row = _row(obj)
                        if row not in bucket:
                            bucket.append(row)
    return result


def _has_device(user: Any) -> bool:
    return any(True for _ in devices_for_user(user, confirmed=True))


def _personal_fields(model: type[models.Model]) -> list[models.Field]:
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField)
        and not f.choices
        and any(hint in f.name for hint in PERSONAL_FIELD_HINTS)
    ]


@transaction.atomic
def account_anonymise(user: Any) -> dict[str, int]:
    """Scrub the account (username → deleted-<n>, no e-mail, no names, unusable password,
    inactive, no API token, no 2FA device) and the personal fields of everything it wrote:
    display names become "Anonymous", contact details are emptied, also inside the durable
    event log. Nothing is deleted except the secrets. Returns counts per model, for the log."""
    user_model = get_user_model()
    user = user_model.objects.select_for_update().get(pk=user.pk)
    identity = _identity_for(user)
    old_email = user.email
    old_names = {
        n for n in (user.get_username(), user.get_full_name(), user.first_name, user.last_name) if n
    }
    counts: dict[str, int] = {}

    ticket_ids: set[int] = set()
    if identity is not None:
        mine = Ticket.objects.filter(reporter=identity)
        old_names |= set(mine.exclude(display_name="").values_list("display_name", flat=True))
        ticket_ids |= set(mine.values_list("pk", flat=True))
        comments = Comment.objects.filter(author=identity)
        old_names |= set(comments.exclude(display_name="").values_list("display_name", flat=True))
        ticket_ids |= set(comments.values_list("ticket_id", flat=True))
        changes = StatusChange.objects.filter(actor=identity)
        old_names |= set(changes.exclude(actor_name="").values_list("actor_name", flat=True))
        ticket_ids |= set(changes.values_list("ticket_id", flat=True))

        # Every other row that points at the identity or the user: personal fields emptied.
        for model, field_name in _links_to((user_model, Identity)):
            target = (
                identity if model._meta.get_field(field_name).related_model is Identity else user
            )
            fields = _personal_fields(model)
            if not fields:
                continue
            # Blank names read "Anonymous" on tickets and comments.
            changes_for = {f.name: "" for f in fields}
            try:
                counts[_label(model)] = model._default_manager.filter(
                    **{field_name: target}
                ).update(**changes_for)
            except PermissionError:  # append-only audit tables keep what they hold
                continue
        Identity.objects.filter(pk=identity.pk).update(last_ip_hash="")

    # The durable event log holds the public names as they were: replace them there too.
    names = {n for n in old_names if n and n != ANONYMOUS}
    if names and ticket_ids:
        for event in TicketEvent.objects.filter(ticket_id__in=ticket_ids).iterator():
            data = _replace_names(event.data, names)
            if data != event.data:
                TicketEvent.objects.filter(pk=event.pk).update(data=data)
                counts["tickets.ticketevent"] = counts.get("tickets.ticketevent", 0) + 1

    # Rows that name the person by e-mail address only.
    if old_email:
        for model in apps.get_models():
            if _label(model) in SKIPPED_MODELS or model is user_model:
                continue
            for field in model._meta.concrete_fields:
                if isinstance(field, models.EmailField):
                    try:
                        model._default_manager.filter(**{field.name: old_email}).update(
                            **{field.name: ""}
                        )
                    except PermissionError:
                        continue

    _delete_secrets(user)
    user.username = f"deleted-{user.pk}"
    user.email = ""
    user.first_name = ""
    user.last_name = ""
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.set_unusable_password()
    user.save()
    return counts


def _delete_secrets(user: Any) -> None:
    Token.objects.filter(user=user).delete()
    TOTPDevice.objects.filter(user=user).delete()


def _replace_names(value: Any, names: set[str]) -> Any:
    if isinstance(value, dict):
        return {k: _replace_names(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_names(v, names) for v in value]
    if isinstance(value, str) and value in names:
        return ANONYMOUS
    return value


def totp_secret(device: Any) -> str:
    """The base32 secret to type into an authenticator app."""
    return b32encode(device.bin_key).decode()


def qr_data_uri(url: str) -> str:
    return segno.make(url, error="m").svg_data_uri(scale=4)
