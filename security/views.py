"""Account security pages: the two-step login (password, then a one-time code for accounts
that turned on two-factor authentication), the 2FA settings page, the API token endpoint with
the same rule, and the privacy pages (download my data, anonymise my account)."""

from __future__ import annotations

import json
import time
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import NotAuthenticated
from rest_framework.response import Response

from security import privacy, tokens
from security.middleware import has_two_factor
from security.parsers import StrictJSONParser

PENDING_KEY = "fixline_2fa_pending"
PENDING_MAX_AGE = 300  # seconds between the password and the code


class SeeOther(HttpResponseRedirect):
    status_code = 303


def _safe_next(request: HttpRequest, url: str) -> str:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return reverse("home")


def _confirmed_device(user: Any) -> TOTPDevice | None:
    return next(iter(devices_for_user(user, confirmed=True)), None)


class OTPTokenForm(forms.Form):
    otp_token = forms.CharField(
        label=gettext_lazy("Code from your authenticator app"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


# --- Login ----------------------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    """Django's login (username, password, CSRF). Accounts with 2FA are not logged in yet:
    the password step remembers them for five minutes and the code step finishes."""

    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        if not has_two_factor(user):
            return super().form_valid(form)
        self.request.session[PENDING_KEY] = {
            "uid": user.pk,
            "backend": getattr(user, "backend", ""),
            "at": time.time(),
        }
        url = reverse("login-otp")
        next_url = self.get_redirect_url()
        if next_url:
            url += "?" + urlencode({"next": next_url})
        return SeeOther(url)


@never_cache
@csrf_protect
@sensitive_post_parameters("otp_token")
@require_http_methods(["GET", "POST"])
def login_otp(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - float(pending.get("at", 0)) > PENDING_MAX_AGE:
        request.session.pop(PENDING_KEY, None)
        messages.error(request, _("Please log in again."))
        return SeeOther(reverse("login"))
    uid = pending.get("uid")
    user = None if uid is None else get_user_model().objects.filter(pk=uid, is_active=True).first()
    device = _confirmed_device(user) if user else None
    if user is None or device is None:
        request.session.pop(PENDING_KEY, None)
        return SeeOther(reverse("login"))
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    form = OTPTokenForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            allowed, _why = device.verify_is_allowed()
            if allowed and device.verify_token(form.cleaned_data["otp_token"].strip()):
                request.session.pop(PENDING_KEY, None)
                login(request, user, backend=pending.get("backend") or None)
                otp_login(request, device)
                return SeeOther(_safe_next(request, next_url))
            form.add_error(
                "otp_token",
                _("This code is not valid.")
                if allowed
                else _("Too many wrong codes. Wait a moment and try again."),
            )
    return render(
        request, "security/login_otp.html", {"form": form, "next": next_url}, status=status
    )


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin site logs in through the same two-step login as everyone else."""
    next_url = request.GET.get("next") or reverse("admin:index")
    return SeeOther(reverse("login") + "?" + urlencode({"next": next_url}))


# --- API token --------------------------------------------------------------------------------


class TokenSerializer(AuthTokenSerializer):
    """Wrong password and missing or wrong code fail alike: one status, one body, and both
    paths hash the password (so their timing is alike too)."""

    otp_token = serializers.CharField(required=False, allow_blank=True, max_length=12)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        refused = serializers.ValidationError(
            {
                "non_field_errors": [
                    _(
                        "Unable to log in with these credentials (accounts with two-factor "
                        "authentication also send otp_token)."
                    )
                ]
            },
            code="authorization",
        )
        try:
            attrs = super().validate(attrs)
        except serializers.ValidationError:
            raise refused from None
        device = _confirmed_device(attrs["user"])
        if device is not None:
            token = (attrs.get("otp_token") or "").strip()
            allowed, _why = device.verify_is_allowed()
            if not token or not allowed or not device.verify_token(token):
                raise refused
        return attrs


class TokenOutput(serializers.Serializer[Any]):
    token = serializers.CharField()
    expires = serializers.DateTimeField()


class TokenView(ObtainAuthToken):
    """`POST /api/v1/auth/token/` {username, password[, otp_token]} → {token, expires}: the
    account's token, a new one once it expired. `DELETE` (authenticated with the token)
    revokes it. Failed attempts count towards the login lockout (django-axes)."""

    serializer_class = TokenSerializer
    # JSON only, like the rest of the API (ObtainAuthToken also takes forms: a cross-site form
    # post must not reach the password check).
    parser_classes = [StrictJSONParser]

    @extend_schema(request=TokenSerializer, responses={200: TokenOutput})
    def post(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        serializer = self.get_serializer(data=request.data)
        try:
            serializer.is_valid(raise_exception=True)
        except serializers.ValidationError:
            # django-axes marks the request it refused; say so instead of "bad credentials".
            if getattr(request, "axes_locked_out", False) or getattr(
                request._request, "axes_locked_out", False
            ):
                return Response(
                    {"detail": _("Too many failed logins. Try again later.")},
                    status=429,
                    headers={"Retry-After": str(int(settings.AXES_COOLOFF_TIME * 3600))},
                )
            raise
        token = tokens.issue(user=serializer.validated_data["user"])
        return Response(TokenOutput({"token": token.key, "expires": tokens.expires_at(token)}).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(request.auth, Token):
            raise NotAuthenticated(_("Send the token to revoke: Authorization: Token <key>."))
        tokens.revoke(token=request.auth)
        return Response(status=204)


obtain_auth_token = TokenView.as_view()


# --- Two-factor settings ------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    user = request.user
    confirmed = _confirmed_device(user)
    form = OTPTokenForm(request.POST or None)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        status = 400
        if confirmed is not None and action == "disable":
            if form.is_valid() and confirmed.verify_token(form.cleaned_data["otp_token"].strip()):
                TOTPDevice.objects.filter(user=user).delete()
                messages.success(request, _("Two-factor authentication is off."))
                return SeeOther(reverse("two-factor"))
            form.add_error("otp_token", _("This code is not valid."))
        elif confirmed is None and action == "enable":
            device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
            if (
                device is not None
                and form.is_valid()
                and device.verify_token(form.cleaned_data["otp_token"].strip())
            ):
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                otp_login(request, device)
                messages.success(request, _("Two-factor authentication is on."))
                return SeeOther(reverse("two-factor"))
            form.add_error("otp_token", _("This code is not valid."))
    context: dict[str, Any] = {"form": form, "enabled": confirmed is not None}
    if confirmed is None:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=False)
        context["secret"] = privacy.totp_secret(device)
        context["config_url"] = device.config_url
        context["qr_data_uri"] = privacy.qr_data_uri(device.config_url)
    return render(request, "security/two_factor.html", context, status=status)


# --- Privacy ------------------------------------------------------------------------------------


@never_cache
@login_required
def my_data(request: HttpRequest) -> HttpResponse:
    """Everything Fixline keeps about the signed-in person, as JSON."""
    data = privacy.account_data(request.user)
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False, default=str),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="fixline-my-data.json"'
    return response


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def anonymise(request: HttpRequest) -> HttpResponse:
    """Removes the account's personal identifiers; its public contributions stay, signed
    "Anonymous". The person confirms by typing their username."""
    user = request.user
    error = ""
    if request.method == "POST":
        if request.POST.get("confirm", "") == user.get_username():
            privacy.account_anonymise(user)
            logout(request)
            messages.success(request, _("Your account was anonymised."))
            return SeeOther(reverse("home"))
        error = _("Type your username to confirm.")
    return render(
        request,
        "security/anonymise.html",
        {"error": error},
        status=400 if error else 200,
    )
