"""Streamed exports of tickets: `/api/v1/exports/tickets.csv` and `tickets.geojson`.

The same filters as the list API (`TicketFilter`; a bad filter is a 400 with what is wrong).
Rows are read with `values()` through `iterator(chunk_size=2000)` and written as they come, so
100,000 tickets never sit in memory at once. Public fields only: no contact details, no
private answers, no identities.
"""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from realtime.events import iso
from tickets.filters import TicketFilter
from tickets.models import ServiceQuestion, Ticket

CHUNK_SIZE = 2000
VALUES = [
    "id", "title", "description", "status", "service_type__code", "service_type__name",
    "jurisdiction__slug", "event__slug", "lat", "long", "address", "anonymous",
    "display_name", "answers", "service_type_id", "views", "followers", "votes", "thanks",
    "created_at", "updated_at", "acknowledged_at", "closed_at",
]  # fmt: skip
COLUMNS = [
    "id", "title", "description", "status", "service_code", "service_name", "jurisdiction",
    "event", "lat", "long", "address", "reporter", "answers", "views", "followers", "votes",
    "thanks", "created_at", "updated_at", "acknowledged_at", "closed_at", "url",
]  # fmt: skip
# Spreadsheet programs run cells that start with these as formulas.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object whose write() returns what it was given (csv.writer to a stream)."""

    def write(self, value: str) -> str:
        return value


def _private_codes() -> dict[int, set[str]]:
    codes: dict[int, set[str]] = {}
    for type_id, code in ServiceQuestion.objects.filter(private=True).values_list(
        "service_type_id", "code"
    ):
        codes.setdefault(type_id, set()).add(code)
    return codes


def _when(moment: datetime | None) -> str | None:
    return iso(moment) if moment is not None else None


def public_row(row: dict[str, Any], private: dict[int, set[str]]) -> dict[str, Any]:
    hidden = private.get(row["service_type_id"], set())
    answers = row["answers"] if isinstance(row["answers"], dict) else {}
    return {
        "id": row["id"],
        "title": row["title"],
        "description": row["description"],
        "status": row["status"],
        "service_code": row["service_type__code"],
        "service_name": row["service_type__name"],
        "jurisdiction": row["jurisdiction__slug"],
        "event": row["event__slug"],
        "lat": row["lat"],
        "long": row["long"],
        "address": row["address"],
        "reporter": _("Anonymous")
        if row["anonymous"] or not row["display_name"]
        else row["display_name"],
        "answers": {k: v for k, v in answers.items() if k not in hidden},
        "views": row["views"],
        "followers": row["followers"],
        "votes": row["votes"],
        "thanks": row["thanks"],
        "created_at": _when(row["created_at"]),
        "updated_at": _when(row["updated_at"]),
        "acknowledged_at": _when(row["acknowledged_at"]),
        "closed_at": _when(row["closed_at"]),
        "url": f"/tickets/{row['id']}/",
    }


def _filtered(request: HttpRequest) -> Any:
    """(rows iterator, None) or (None, 400 response)."""
    queryset = Ticket.objects.public().order_by("-updated_at", "-id")
    filterset = TicketFilter(request.GET, queryset=queryset)
    if not filterset.is_valid():
        return None, JsonResponse(filterset.errors, status=400)
    rows = filterset.qs.values(*VALUES).iterator(chunk_size=CHUNK_SIZE)
    return rows, None


def _csv_cell(value: Any) -> Any:
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False) if value else ""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _csv_lines(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    private = _private_codes()
    yield "\ufeff" + writer.writerow(COLUMNS)  # the BOM tells spreadsheets it is UTF-8
    for row in rows:
        data = public_row(row, private)
        yield writer.writerow([_csv_cell(data[c]) for c in COLUMNS])


def _geojson_chunks(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    private = _private_codes()
    yield '{"type":"FeatureCollection","features":['
    first = True
    for row in rows:
        data = public_row(row, private)
        feature = {
            "type": "Feature",
            "id": data["id"],
            "geometry": {"type": "Point", "coordinates": [data["long"], data["lat"]]},
            "properties": data,
        }
        text = json.dumps(feature, ensure_ascii=False, separators=(",", ":"))
        yield text if first else "," + text
        first = False
    yield "]}\n"


async def _async_chunks(chunks: Iterator[str], batch: int = 200) -> AsyncIterator[str]:
    """Serve a sync generator under ASGI without Django's fallback of reading it into a list:
    pull a batch at a time on the request's sync thread (where its database cursor lives)."""
    pull = sync_to_async(lambda: list(itertools.islice(chunks, batch)), thread_sensitive=True)
    while parts := await pull():
        yield "".join(parts)


def stream(request: HttpRequest, chunks: Iterator[str], content_type: str) -> StreamingHttpResponse:
    if isinstance(request, ASGIRequest):
        content: Any = _async_chunks(chunks)
    else:
        content = ("".join(p) for p in iter(lambda: list(itertools.islice(chunks, 200)), []))
    return StreamingHttpResponse(content, content_type=content_type)


@require_safe
def tickets_csv(request: HttpRequest) -> HttpResponseBase:
    rows, error = _filtered(request)
    if error is not None:
        return error
    response = stream(request, _csv_lines(rows), "text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="fixline-tickets.csv"'
    return response


@require_safe
def tickets_geojson(request: HttpRequest) -> HttpResponseBase:
    rows, error = _filtered(request)
    if error is not None:
        return error
    response = stream(request, _geojson_chunks(rows), "application/geo+json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="fixline-tickets.geojson"'
    return response


# Mounted at `/api/v1/exports/` by project/urls.py.
urlpatterns = [
    path("tickets.csv", tickets_csv, name="export-tickets-csv"),
    path("tickets.geojson", tickets_geojson, name="export-tickets-geojson"),
]
