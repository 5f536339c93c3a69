"""Forms of the moderation pages: they parse what the services no longer parse, with the
messages the write layer always gave."""

from __future__ import annotations

from typing import Any

from django import forms

from moderation.services.offers import CONTACT_MAX, DETAIL_MAX, MESSAGE_MAX
from tickets import services as ticket_services
from tickets.errors import InvalidInput


class TextField(forms.Field):
    """Plain text through `tickets.services.clean_text` (stripped, bounded; `blank=False`
    refuses an empty value)."""

    def __init__(self, *, max_length: int, blank: bool = False, **kwargs: Any) -> None:
        self.max_length, self.blank = max_length, blank
        super().__init__(required=False, **kwargs)

    def clean(self, value: Any) -> str:
        try:
            return ticket_services.clean_text(
                value, field="", max_length=self.max_length, required=not self.blank
            )
        except InvalidInput as exc:
            raise forms.ValidationError(exc.message) from None


# The session key of an offer's (or an offer flag's) outcome, shown once in the offers card.
OFFER_RESULT = "fixline_offer_result"


class OfferForm(forms.Form):
    """The ticket page's "offer help" form (the JSON API's `OfferRequestSerializer`)."""

    message = TextField(max_length=MESSAGE_MAX)
    contact = TextField(max_length=CONTACT_MAX)
    skills = TextField(max_length=DETAIL_MAX, blank=True)
    availability = TextField(max_length=DETAIL_MAX, blank=True)

    def first_error(self) -> str:
        """The first wrong field's message, in the form's order."""
        for name in self.fields:
            if name in self.errors:
                return str(self.errors[name][0])
        return ""
