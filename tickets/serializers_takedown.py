"""Input of the takedown endpoints (`tickets/api_takedown.py`)."""

from __future__ import annotations

from rest_framework import serializers

from tickets.services.takedown import REASON_MAX


class TakedownSerializer(serializers.Serializer):
    """Why the ticket is hidden or restored (kept in the audit log, never shown publicly)."""

    reason = serializers.CharField(max_length=REASON_MAX, trim_whitespace=True)
