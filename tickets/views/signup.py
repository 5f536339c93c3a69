"""Sign-up, throttled per network address: every attempt counts (so the form cannot list
usernames quickly) and so does every account created (so one address cannot make a crowd of
accounts). A new account's address gets a verification mail: `signed_up` is sent after the
account is created and the notifications app, which owns mail, listens."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.db import transaction
from django.dispatch import Signal
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from tickets import ratelimit
from tickets.errors import RateLimited
from tickets.forms import (
    SignUpForm,
)
from tickets.identity import client_ip, hash_ip
from tickets.views.base import SeeOther

# Sent with `user=` inside the transaction that created the account.
signed_up = Signal()

# --- Sign-up --------------------------------------------------------------------------------


def _limit(name: str) -> tuple[int, int]:
    count, window = settings.FIXLINE["SIGNUP_LIMITS"][name]
    return int(count), int(window)


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    retry_after = 0
    if request.method == "POST":
        form = SignUpForm(request.POST)
        address = hash_ip(client_ip(request))
        try:
            limit, window = _limit("attempts")
            ratelimit.hit(scope="signup-try", key=address, limit=limit, window=window)
            if form.is_valid():
                limit, window = _limit("accounts")
                ratelimit.hit(scope="signup", key=address, limit=limit, window=window)
                with transaction.atomic():
                    user = form.save()
                    signed_up.send(sender=SignUpForm, user=user)
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, _("Welcome to Fixline, %(name)s!") % {"name": user})
                if user.email:
                    messages.info(
                        request,
                        _("We sent a link to %(email)s: click it to receive e-mail from us.")
                        % {"email": user.email},
                    )
                return SeeOther(next_url or reverse("home"))
            status = 400
        except RateLimited as exc:
            form.add_error(None, str(exc))
            status, retry_after = 429, exc.retry_after
    else:
        form = SignUpForm()
        status = 200
    response = render(
        request, "registration/signup.html", {"form": form, "next": next_url}, status=status
    )
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response
