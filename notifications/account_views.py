"""The account pages that send mail: the verification link's page, "send me the link again"
and the password-reset form, whose mail goes through the outbox (queued by the worker)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from notifications import links, verification
from notifications.conf import email_verify_max_age
from notifications.recipients import verified_email
from notifications.views import SignedInRequest, _bad_link, _page


@require_http_methods(["GET", "POST"])
def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (mail scanners follow links); its POST verifies."""
    values = links.read(token, links.VERIFY_EMAIL, max_age=email_verify_max_age())
    pk = None if values is None else values.get("v")
    found = verification.pending_verification(pk) if isinstance(pk, int) else None
    if found is None:
        return _bad_link(request)
    if request.method == "POST" or found.verified_at is not None:
        verification.confirm(verification=found)
        return _page(
            request,
            title=_("Address verified"),
            message=_("Fixline may now send you e-mail at this address."),
            done=True,
        )
    return _page(
        request,
        title=_("Verify your e-mail address"),
        message=_("Confirm that this address is yours and that Fixline may write to it."),
        button=_("Verify"),
    )


@login_required
@require_POST
def verify_email_again(request: SignedInRequest) -> HttpResponse:
    """From the preferences page: a new link for the account's address (throttled per
    address by the outbox, like every mail)."""
    user = request.user
    if user.email and not verified_email(user):
        verification.request_verification(
            email=user.email, user=user, language=translation.get_language() or ""
        )
    messages.success(request, _("If your address still needs it, a new link is on its way."))
    response = HttpResponseRedirect(reverse("notifications:preferences"))
    response.status_code = 303
    return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's form and pages; the mail is queued by the worker for any address, so the
    answer, the work done in the request and its timing are the same for every address."""

    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form: Any) -> HttpResponse:
        verification.request_password_reset(email=form.cleaned_data["email"])
        return HttpResponseRedirect(self.get_success_url())
