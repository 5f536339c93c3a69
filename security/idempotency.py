"""`Idempotency-Key` on every write: a retried request never writes twice.

A middleware, so that every write endpoint (the REST API, Open311's POST, the pages' forms)
gets it without copying code, and without the `tickets` layer knowing of it. A write sent with
the header claims the pair (identity, key) by inserting a unique row "in progress" before the
view runs; the answer is stored in that row afterwards. The same key from the same identity
within 24 hours then answers the stored answer again, with `Idempotent-Replayed: true`, and
the view does not run. A request racing the first waits (a bounded time) for its answer. A key
sent again with another request (method, path or body) is refused with 422, as Stripe does.

Answers that say "not now" rather than "this is the result" are not kept, so the key can be
retried: 5xx, 401, 403, 408, 425 and 429. Only digests identify a row: the key and the
identity (account, anonymous cookie, or the salted address hash of `tickets.identity`) are
hashed together; the body is hashed. Rows older than 24 hours are ignored and swept lazily.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from security.models import IdempotentRequest
from tickets.identity import Actor, client_ip
from tickets.open311 import errors as open311_errors

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Credentials are never stored as an answer: logins and the API token are left alone.
EXCLUDED_PREFIXES = ("/api/v1/auth/", "/accounts/", "/admin/", "/i18n/")
KEY_PATTERN = re.compile(r"[\x20-\x7e]{1,255}")
TTL = timedelta(hours=24)
# A claim this old was left by a process that died mid-request: it may be taken over.
ABANDONED_AFTER = timedelta(minutes=5)
# How long a racing request waits for the first one's answer, and how often it looks.
WAIT_SECONDS = 10.0
POLL_SECONDS = 0.05
NOT_KEPT = frozenset({401, 403, 408, 425, 429})
SWEEP_EVERY_SECONDS = 3600.0
MAX_KEPT_BODY = 1_048_576

_last_sweep = 0.0


def _error(request: HttpRequest, status: int, message: str) -> HttpResponse:
    """An answer naming the header, in the endpoint's own error format."""
    if request.path.startswith("/open311/"):
        fmt = "xml" if request.path.endswith(".xml") else "json"
        return open311_errors(fmt, status, f"{HEADER}: {message}")
    return JsonResponse({HEADER: [message]}, status=status)


def _scope(request: HttpRequest) -> str | None:
    """Who is writing, as `tickets.identity.Actor.key` sees it (the API token first, as DRF
    authenticates). None when the token is wrong: the view answers 401 and nothing is kept."""
    try:
        found = TokenAuthentication().authenticate(request)  # type: ignore[arg-type]
    except AuthenticationFailed:
        return None
    user = found[0] if found is not None else getattr(request, "user", None)
    token = getattr(request, "fixline_anon_token", None)
    if getattr(request, "fixline_anon_token_is_new", False):
        token = None  # a cookie minted for this very request is a new person on each retry
    scope = Actor(user=user, anon_token=token, ip=client_ip(request)).key
    if request.path.startswith("/open311/"):
        # An integration relays many people from one address: its API key is part of who.
        api_key = request.POST.get("api_key", "") if _is_form(request) else ""
        scope += "|open311:" + hashlib.sha256(api_key.encode()).hexdigest()
    return scope


def _is_form(request: HttpRequest) -> bool:
    return request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded")


def _fingerprint(request: HttpRequest) -> str:
    """A digest of the request as the view will read it. Forms are hashed field by field
    (a browser sends the same form with a new multipart boundary each time), JSON by its
    parsed value, anything else byte for byte."""
    digest = hashlib.sha256(f"{request.method} {request.get_full_path()}\n".encode())
    if _is_form(request):
        for name in sorted(request.POST):
            digest.update(json.dumps([name, request.POST.getlist(name)]).encode())
        for name in sorted(request.FILES):
            for upload in request.FILES.getlist(name):
                content = hashlib.sha256()
                for chunk in upload.chunks():
                    content.update(chunk)
                upload.seek(0)
                digest.update(json.dumps([name, upload.size, content.hexdigest()]).encode())
        return digest.hexdigest()
    body = request.body
    if request.content_type == "application/json":
        try:
            body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
        except ValueError:
            pass  # not JSON after all: the bytes themselves, and the view will say what is wrong
    digest.update(body)
    return digest.hexdigest()


def _sweep(now: float) -> None:
    """Forget answers older than 24 hours, at most once an hour per process."""
    global _last_sweep
    if now - _last_sweep < SWEEP_EVERY_SECONDS:
        return
    _last_sweep = now
    IdempotentRequest.objects.filter(created_at__lt=timezone.now() - TTL).delete()


def _claim(lookup: str, fingerprint: str) -> tuple[str, IdempotentRequest]:
    """("claimed", the new row), or the row already there with what to do about it:
    "replay", "mismatch" or "busy" (still in progress after the wait)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        now = timezone.now()
        try:
            with transaction.atomic():
                record = IdempotentRequest.objects.create(
                    lookup=lookup, fingerprint=fingerprint, created_at=now
                )
            return "claimed", record
        except IntegrityError:
            pass
        found = IdempotentRequest.objects.filter(lookup=lookup).first()
        if found is None:
            continue  # the first request failed and let the key go: run this one
        expired = found.created_at < now - TTL
        abandoned = (
            found.state == IdempotentRequest.State.IN_PROGRESS
            and found.created_at < now - ABANDONED_AFTER
        )
        if expired or abandoned:
            IdempotentRequest.objects.filter(pk=found.pk, created_at=found.created_at).delete()
            continue
        if found.fingerprint != fingerprint:
            return "mismatch", found
        if found.state == IdempotentRequest.State.DONE:
            return "replay", found
        if time.monotonic() >= deadline:
            return "busy", found
        time.sleep(POLL_SECONDS)


def _replay(record: IdempotentRequest) -> HttpResponse:
    response = HttpResponse(
        bytes(record.body), status=record.status or 200, content_type=record.content_type
    )
    if record.location:
        response["Location"] = record.location
    response[REPLAYED_HEADER] = "true"
    return response


def _keep(record: IdempotentRequest, response: HttpResponseBase) -> None:
    """Store the answer, or let the key go when it says "not now" (or cannot be kept)."""
    status = response.status_code
    body = b"" if response.streaming else response.content  # type: ignore[attr-defined]
    if response.streaming or status >= 500 or status in NOT_KEPT or len(body) > MAX_KEPT_BODY:
        IdempotentRequest.objects.filter(pk=record.pk).delete()
        return
    IdempotentRequest.objects.filter(pk=record.pk).update(
        state=IdempotentRequest.State.DONE,
        status=status,
        content_type=response.get("Content-Type", "")[:200],
        location=response.get("Location", "")[:2000],
        body=body,
    )


class IdempotencyMiddleware:
    """After the authentication and identity middlewares (project/settings.py)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        key = request.headers.get(HEADER)
        if (
            key is None
            or request.method not in WRITE_METHODS
            or request.path.startswith(EXCLUDED_PREFIXES)
        ):
            return self.get_response(request)
        if not KEY_PATTERN.fullmatch(key):
            return _error(
                request, 400, _("1 to 255 printable ASCII characters, e.g. a random UUID.")
            )
        scope = _scope(request)
        if scope is None:
            return self.get_response(request)
        lookup = hashlib.sha256(f"{scope}\n{key}".encode()).hexdigest()
        _sweep(time.monotonic())
        outcome, record = _claim(lookup, _fingerprint(request))
        if outcome == "replay":
            return _replay(record)
        if outcome == "mismatch":
            return _error(
                request,
                422,
                _(
                    "this key was already used for another request. Send a new key for a "
                    "new request, and the same body again to retry one."
                ),
            )
        if outcome == "busy":
            busy = _error(
                request, 409, _("a request with this key is still being processed. Retry soon.")
            )
            busy["Retry-After"] = "1"
            return busy
        try:
            response = self.get_response(request)
        except BaseException:
            IdempotentRequest.objects.filter(pk=record.pk).delete()
            raise
        _keep(record, response)
        return response
