"""Who is acting. Every request gets an Actor: an account, an anonymous browser known by a
signed long-lived cookie, or, for API callers with neither, a salted hash of the network
address (salt rotated daily, raw addresses never stored)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from tickets import config
from tickets.models import Identity, IpSalt

COOKIE_SALT = "fixline.anon"
DISPLAY_NAME_MAX = 80  # Ticket.display_name and Comment.display_name
_salt_cache: dict[date, str] = {}
_kept_cache: dict[date, list[str]] = {}

# Sanctions keyed by an address hash must outlive the day's salt (a ban lasts its full term):
# moderation registers a keeper naming the salt days its active sanctions still need, and
# those salts (only those) survive the daily rotation. Hashes from other days can no longer
# be recomputed from an address once their salt is gone.
SaltKeeper = Callable[[], set[date]]
_salt_keepers: list[SaltKeeper] = []


def register_salt_keeper(keeper: SaltKeeper) -> None:
    if keeper not in _salt_keepers:
        _salt_keepers.append(keeper)


def todays_salt() -> str:
    today = timezone.now().date()
    cached = _salt_cache.get(today)
    if cached:
        return cached
    salt_row, _created = IpSalt.objects.get_or_create(
        day=today, defaults={"salt": secrets.token_hex(32)}
    )
    kept: set[date] = set()
    for keeper in _salt_keepers:
        kept |= keeper()
    IpSalt.objects.filter(day__lt=today).exclude(day__in=kept).delete()
    _salt_cache.clear()
    _kept_cache.clear()
    _salt_cache[today] = salt_row.salt
    return salt_row.salt


def _kept_salts() -> list[str]:
    """Older salts still kept for sanctions; fixed for the day once today's rotation ran."""
    today = timezone.now().date()
    todays_salt()
    if today not in _kept_cache:
        _kept_cache[today] = list(
            IpSalt.objects.filter(day__lt=today).order_by("day").values_list("salt", flat=True)
        )
    return _kept_cache[today]


def _hmac(salt: str, ip: str) -> str:
    return hmac.new(salt.encode(), ip.encode(), hashlib.sha256).hexdigest()[:40]


def hash_ip(ip: str) -> str:
    return _hmac(todays_salt(), ip)


def sanction_ip_hashes(ip: str) -> set[str]:
    """The address's hash under today's salt and under every salt kept for sanctions: what an
    address sanction may have been keyed with."""
    return {hash_ip(ip), *(_hmac(salt, ip) for salt in _kept_salts())}


def salt_day() -> date:
    """The day of the salt `hash_ip` uses now."""
    return timezone.now().date()


def client_ip(request: HttpRequest | Mapping[str, Any]) -> str:
    """The client's address, for an HTTP request or a socket's ASGI scope alike: the peer's
    own address, unless FIXLINE_TRUST_X_FORWARDED_FOR is on and the peer is one of
    FIXLINE_TRUSTED_PROXIES; then the last X-Forwarded-For entry, the one our proxy wrote
    (earlier entries are whatever the client sent). daphne runs without --proxy-headers, so
    the peer's address is never taken from a header before this point."""
    if isinstance(request, Mapping):  # an ASGI scope (DRF requests are no HttpRequest)
        client = request.get("client") or ("", 0)
        peer = str(client[0] or "")
        headers = dict(request.get("headers") or [])
        forwarded = headers.get(b"x-forwarded-for", b"").decode("latin-1")
    else:
        peer = request.META.get("REMOTE_ADDR") or ""
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if (
        forwarded
        and getattr(settings, "FIXLINE_TRUST_X_FORWARDED_FOR", False)
        and peer in getattr(settings, "FIXLINE_TRUSTED_PROXIES", ())
    ):
        last = forwarded.split(",")[-1].strip()
        if last:
            return last
    return peer or "0.0.0.0"


@dataclass
class Actor:
    """The person behind a request, resolved to an Identity row only when something is written."""

    user: User | AnonymousUser | None = None
    anon_token: str | None = None
    ip: str = ""
    _identity: Identity | None = field(default=None, repr=False)

    @property
    def is_authenticated(self) -> bool:
        return bool(self.user is not None and getattr(self.user, "is_authenticated", False))

    @property
    def account(self) -> User | None:
        """The signed-in account; None for anonymous people."""
        return self.user if isinstance(self.user, User) and self.is_authenticated else None

    @property
    def kind(self) -> str:
        if self.is_authenticated:
            return Identity.Kind.ACCOUNT
        if self.anon_token:
            return Identity.Kind.ANONYMOUS
        return Identity.Kind.NETWORK

    @property
    def known_by_address(self) -> bool:
        """A caller with neither account nor cookie: its identity is its address, which
        neighbours share, so it owns nothing it can act on later (a reopen, a withdrawal).
        An identity handed in explicitly (a mailed link's reporter) has no address here."""
        return self.kind == Identity.Kind.NETWORK and bool(self.ip)

    @property
    def ip_hash(self) -> str:
        return hash_ip(self.ip) if self.ip else ""

    @property
    def key(self) -> str:
        if self.account is not None:
            return f"u:{self.account.pk}"
        if self.anon_token:
            return f"a:{self.anon_token}"
        return f"n:{self.ip_hash}"

    @property
    def display_name(self) -> str:
        user = self.account
        if user is not None:
            full = user.get_full_name()
            # Names are up to 150 + 150 characters; display names are stored in 80.
            return (full or user.get_username())[:DISPLAY_NAME_MAX]
        return ""

    def identity(self) -> Identity:
        if self._identity is None:
            self._identity = identity_for(self)
        return self._identity


def identity_for(actor: Actor) -> Identity:
    key = actor.key
    ip_hash = actor.ip_hash
    now = timezone.now()
    try:  # get(), not first(): the key is unique, and no ORDER BY is compiled
        found: Identity | None = Identity.objects.get(key=key)
    except Identity.DoesNotExist:
        found = None
    if found is None:
        # Outside a transaction (a new neighbour's first comment) the INSERT is atomic by
        # itself: no BEGIN and COMMIT round trips. Inside one, a savepoint keeps a concurrent
        # duplicate from breaking the caller's transaction.
        savepoint = transaction.atomic() if connection.in_atomic_block else nullcontext()
        try:
            with savepoint:
                found = Identity.objects.create(
                    key=key,
                    kind=actor.kind,
                    user=actor.account,
                    last_ip_hash=ip_hash,
                    last_seen_at=now,
                )
        except IntegrityError:  # created concurrently by the same person's other request
            found = Identity.objects.get(key=key)
    elif found.last_ip_hash != ip_hash and ip_hash:
        Identity.objects.filter(pk=found.pk).update(last_ip_hash=ip_hash, last_seen_at=now)
        found.last_ip_hash = ip_hash
    return found


def existing_identity_id(actor: Actor) -> int | None:
    """The person's Identity pk if they already have one; a read never creates one. None for
    someone known only by a network address: neighbours share it, so it owns nothing."""
    if actor.known_by_address:
        return None
    return Identity.objects.filter(key=actor.key).values_list("pk", flat=True).first()


def read_anon_cookie(request: HttpRequest) -> str | None:
    name = config.setting_str("ANON_COOKIE_NAME")
    if name not in request.COOKIES:
        return None
    try:
        token = request.get_signed_cookie(name, salt=COOKIE_SALT)
    except (signing.BadSignature, KeyError):
        return None
    return token if isinstance(token, str) and 16 <= len(token) <= 64 else None


def anon_token_from_cookies(cookies: Mapping[str, str]) -> str | None:
    """`read_anon_cookie` for a socket's scope (its parsed cookies)."""
    # Through Django's own reading of signed cookies: how it salts them changed in 5.2.x
    # (the salt's length is prefixed, old cookies are still accepted), and a copy of the old
    # rule here stopped recognising every cookie minted since.
    request = HttpRequest()
    request.COOKIES = dict(cookies)
    return read_anon_cookie(request)


def actor_from_request(request: HttpRequest) -> Actor:
    """Account first, then the browser's signed cookie, then the network address. Works on
    Django and DRF requests alike (DRF's `user` includes token authentication)."""
    user = getattr(request, "user", None)
    token = getattr(request, "fixline_anon_token", None)
    if token is None:
        token = read_anon_cookie(request)
    return Actor(user=user, anon_token=token, ip=client_ip(request))


class IdentityMiddleware:
    """Reads the anonymous-identity cookie and gives browsers that have none a new one on
    page loads. API and Open311 calls never get one: a client with no cookie jar would be a
    new person on every call, so without a cookie it is known by token or network address."""

    EXEMPT_PREFIXES = ("/api/", "/open311/", "/static/", "/embed/", "/ws/", "/feeds/", "/media/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = read_anon_cookie(request)
        new_token = None
        if token is None and not request.path.startswith(self.EXEMPT_PREFIXES):
            token = new_token = new_anon_token()
        request.fixline_anon_token = token  # type: ignore[attr-defined]
        request.fixline_anon_token_is_new = new_token is not None  # type: ignore[attr-defined]
        response = self.get_response(request)
        if new_token is not None:
            set_anon_cookie(response, new_token)
        return response


def set_anon_cookie(response: HttpResponse, token: str) -> None:
    """A new browser's identity: a signed, long-lived, script-proof cookie."""
    response.set_signed_cookie(
        config.setting_str("ANON_COOKIE_NAME"),
        token,
        salt=COOKIE_SALT,
        max_age=config.setting_int("ANON_COOKIE_MAX_AGE"),
        httponly=True,
        samesite="Lax",
        secure=getattr(settings, "SESSION_COOKIE_SECURE", False),
    )


def new_anon_token() -> str:
    return secrets.token_urlsafe(18)
