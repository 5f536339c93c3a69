"""My things: a signed-in citizen's "my reports" and "following" pages."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tickets import casework_selectors, selectors
from tickets.models import Ticket
from tickets.views.home import PAGE_SIZE, with_comment_counts


def _page(
    request: HttpRequest,
    *,
    tab: str,
    pick: Callable[[QuerySet[Ticket], object], QuerySet[Ticket]],
) -> HttpResponse:
    tickets = with_comment_counts(pick(selectors.ticket_list(), request.user)).order_by(
        "-updated_at", "-id"
    )
    page = Paginator(tickets, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "tickets/mine.html", {"tab": tab, "page": page, "tickets": list(page.object_list)}
    )


@login_required
def my_reports(request: HttpRequest) -> HttpResponse:
    return _page(request, tab="reports", pick=casework_selectors.reported_by)


@login_required
def my_following(request: HttpRequest) -> HttpResponse:
    return _page(request, tab="following", pick=casework_selectors.followed_by)
