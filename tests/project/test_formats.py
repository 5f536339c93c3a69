"""One date format everywhere (project/formats/): what the browser's Intl.DateTimeFormat
writes with {dateStyle: "medium", timeStyle: "short"}, in English and French."""

from __future__ import annotations

from datetime import UTC, datetime

from django.template import engines
from django.utils import translation


def render(language: str, value: datetime, source: str) -> str:
    with translation.override(language):
        return engines["django"].from_string(source).render({"value": value})


def test_datetime_format_in_english_and_french() -> None:
    at = datetime(2026, 12, 2, 9, 46, tzinfo=UTC)
    assert render("en", at, "{{ value }}") == "Dec 2, 2026, 9:46 AM"
    assert render("fr", at, "{{ value }}") == "2 déc. 2026, 09:46"
    # The names Django's moderation and queue templates use render the same way.
    assert render("fr", at, '{{ value|date:"SHORT_DATETIME_FORMAT" }}') == "2 déc. 2026, 09:46"
    # ICU's abbreviations, not Django's "jan." and "fév.".
    assert render("fr", at.replace(month=1), "{{ value }}") == "2 janv. 2026, 09:46"
    assert render("fr", at.replace(month=2, hour=21), "{{ value }}") == "2 févr. 2026, 21:46"
    assert render("en", at.replace(month=9, hour=21), "{{ value }}") == "Sep 2, 2026, 9:46 PM"
