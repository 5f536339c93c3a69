"""The console's readable lines for audit entries ("agent hid a comment on #12: personal
information"). static/js/moderation.js has the same sentences (same message ids) for the live
activity feed."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from moderation.models import ANNOUNCED, FLAGGED, OFFERED_HELP, Flag

# (action, target type) → sentence; a None target type matches any.
SENTENCES: dict[tuple[str, str | None], str] = {
    ("hide", "comment"): gettext_noop("%(by)s hid a comment on #%(ticket)s"),
    ("restore", "comment"): gettext_noop("%(by)s restored a comment on #%(ticket)s"),
    ("approve", "comment"): gettext_noop("%(by)s approved a comment on #%(ticket)s"),
    ("reject", "comment"): gettext_noop("%(by)s rejected a comment on #%(ticket)s"),
    ("dismiss", "comment"): gettext_noop("%(by)s dismissed the flags on a comment on #%(ticket)s"),
    ("auto_hide", "comment"): gettext_noop("Flags hid a comment on #%(ticket)s"),
    ("dismiss", "ticket"): gettext_noop("%(by)s dismissed the flags on ticket #%(ticket)s"),
    ("dismiss", "offer"): gettext_noop("%(by)s dismissed the flags on an offer of help"),
    ("offer.create", None): gettext_noop("Someone offered help"),
    ("offer.accept", None): gettext_noop("%(by)s accepted an offer of help"),
    ("offer.decline", None): gettext_noop("%(by)s declined an offer of help"),
    ("offer.complete", None): gettext_noop("%(by)s marked an offer of help as done"),
    ("offer.withdraw", None): gettext_noop("An offer of help was withdrawn"),
    ("sanction.mute", None): gettext_noop("%(by)s muted %(target)s"),
    ("sanction.ban", None): gettext_noop("%(by)s banned %(target)s"),
    ("sanction.shadowban", None): gettext_noop("%(by)s shadow-banned %(target)s"),
    ("sanction.rate_limit", None): gettext_noop("%(by)s rate-limited %(target)s"),
    ("sanction.revoke", None): gettext_noop("%(by)s lifted a sanction on %(target)s"),
    ("trust.grant", None): gettext_noop("%(by)s made %(target)s a trusted volunteer"),
    ("trust.revoke", None): gettext_noop("%(by)s revoked %(target)s's trusted status"),
    ("event.create", None): gettext_noop("%(by)s declared the event %(target)s"),
    ("event.update", None): gettext_noop("%(by)s edited the event %(target)s"),
    ("event.end", None): gettext_noop("%(by)s ended the event %(target)s"),
    ("announcement.create", None): gettext_noop("%(by)s posted an announcement"),
    ("announcement.hide", None): gettext_noop("%(by)s hid an announcement"),
    ("announcement.restore", None): gettext_noop("%(by)s showed an announcement again"),
    ("ticket.hide", None): gettext_noop("%(by)s took down ticket #%(ticket)s"),
    ("ticket.restore", None): gettext_noop("%(by)s restored ticket #%(ticket)s"),
    ("ticket.reroute", None): gettext_noop("%(by)s rerouted ticket #%(ticket)s"),
    ("ticket.merge", None): gettext_noop("%(by)s merged ticket #%(ticket)s into another"),
    ("ticket.unmerge", None): gettext_noop("%(by)s split ticket #%(ticket)s out again"),
}
FALLBACK = gettext_noop("%(by)s: %(action)s %(target)s")


@cache
def _system_reasons() -> frozenset[str]:
    """The reasons the system writes (their sentence already says them: "Flags hid a comment",
    "Someone offered help"), as codes and as older entries hold them: translated in the
    language of the request that wrote them (until 2026-12-04)."""
    codes = {FLAGGED, OFFERED_HELP, ANNOUNCED}
    found = set(codes)
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            found.update(_(code) for code in codes)
    return frozenset(found)


def reason_label(reason: str) -> str:
    """The words after a sentence: a flag reason's (personal_info → "Personal information"),
    none for a reason the system gave itself, a person's own text as they wrote it."""
    if reason in _system_reasons():
        return ""
    labels = dict(Flag.Reason.choices)
    return str(labels[reason]) if reason in labels else reason


def describe(
    *,
    action: str,
    target_type: str,
    target_id: Any,
    by: str,
    ticket: int | None = None,
    reason: str = "",
) -> str:
    sentence = SENTENCES.get((action, target_type)) or SENTENCES.get((action, None))
    values = {
        "by": by,
        "ticket": ticket if ticket is not None else target_id,
        "target": target_id,
        "action": action,
    }
    line = _(sentence or FALLBACK) % values
    words = reason_label(reason)
    # French puts a space before the colon.
    return _("%(line)s: %(reason)s") % {"line": line, "reason": words} if words else line
