"""Reading the query string and form fields shared by every endpoint."""

from __future__ import annotations

from datetime import UTC, datetime

from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from tickets.models import Jurisdiction
from tickets.open311.render import Open311Error

# --- Shared reading ---------------------------------------------------------------------------


def _param(request: HttpRequest, name: str) -> str:
    value = request.POST.get(name) if request.method == "POST" else None
    if value is None:
        value = request.GET.get(name, "")
    return value.replace("\x00", "").strip()


def _jurisdiction(request: HttpRequest) -> Jurisdiction | None:
    slug = _param(request, "jurisdiction_id")
    if not slug:
        return None
    found = Jurisdiction.objects.filter(slug=slug[:80]).first()
    if found is None:
        raise Open311Error(404, f"jurisdiction_id: unknown jurisdiction “{slug[:80]}”.")
    return found


def iso(moment: datetime | None) -> str | None:
    """W3C / ISO 8601 with the offset, as the standard writes dates."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _parse_moment(name: str, raw: str) -> datetime | None:
    if not raw:
        return None
    try:
        moment = parse_datetime(raw.replace(" ", "+"))  # a "+" in a query string became " "
        if moment is None:
            day = parse_date(raw)
            if day is not None:
                moment = datetime(day.year, day.month, day.day)
    except ValueError:
        moment = None
    if moment is None:
        raise Open311Error(
            400, f"{name}: not a date and time (ISO 8601, e.g. 2026-01-31T08:00:00Z)."
        )
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    return moment


def _positive_int(request: HttpRequest, name: str, default: int, maximum: int) -> int:
    raw = _param(request, name)
    if not raw:
        return default
    try:
        number = int(raw)
    except ValueError:
        raise Open311Error(400, f"{name}: must be a whole number.") from None
    if not 1 <= number <= maximum:
        raise Open311Error(400, f"{name}: must be between 1 and {maximum}.")
    return number
