"""Settings of the server-rendered pages, imported by `project/settings.py` (which stays the
one module that reads the environment; nothing here varies): the templates with their context
processors, and the date formats (docs/ui.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent

TEMPLATES: list[dict[str, Any]] = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                # The storm banner of every page: one cached read (tickets/banner.py).
                "tickets.banner.context_processor",
            ],
        },
    },
]

# One date format everywhere: project/formats/{en,fr}/formats.py write what the browser's
# Intl.DateTimeFormat(lang, {dateStyle: "medium", timeStyle: "short"}) writes; relative
# times come from django.contrib.humanize (the `ago` filter of tickets/templatetags/dates.py).
FORMAT_MODULE_PATH = ["project.formats"]
