"""What the pages say about a taken-down ticket (to the few who still see it)."""

from __future__ import annotations

from django.utils.translation import gettext as _


def takedown_notice() -> str:
    return _(
        "This ticket is taken down: only its reporter and moderators can see it. "
        "It is hidden from every public page, list, map, feed and export."
    )
