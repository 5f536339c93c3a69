"""The receipts an address given with a report was waiting for: sent once it is verified
(the first report with it asked for the verification; `dispatch.send_receipt` sends nothing
else to an unverified address)."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction

from notifications import conf
from notifications.dispatch import send_receipt
from notifications.models import AddressVerification
from tickets.models import Ticket


def send_pending_receipts(verification_id: int) -> int:
    """Once an address given with a report is verified, the receipts of the reports made with
    it while the link was valid (the first of them asked for the verification). Each receipt
    is queued once (`receipt:<id>`), so a second click sends nothing again."""
    found = AddressVerification.objects.filter(
        pk=verification_id, verified_at__isnull=False
    ).first()
    if found is None:
        return 0
    since = found.created_at - timedelta(seconds=conf.email_verify_max_age())
    tickets = list(
        Ticket.objects.select_related("jurisdiction", "service_type", "reporter__user")
        .filter(contact_email__iexact=found.email, created_at__gte=since)
        .order_by("-created_at")[:PENDING_RECEIPTS_MAX]
    )
    with transaction.atomic():
        for ticket in tickets:
            send_receipt(ticket)
    return len(tickets)


# At most this many receipts for one verification: many reports naming one address must not
# become a flood of mail to it (the outbox's hourly bound applies as well).
PENDING_RECEIPTS_MAX = 5
