"""A transport that fails like a broken SMTP connection the first time it is used, then
delivers to Django's locmem outbox."""

from __future__ import annotations

import smtplib
from typing import Any

from django.core.mail.backends.locmem import EmailBackend

state = {"failures_left": 1, "calls": 0}


class FlakyBackend(EmailBackend):
    def send_messages(self, messages: Any) -> int:
        state["calls"] += 1
        if state["failures_left"] > 0:
            state["failures_left"] -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)
