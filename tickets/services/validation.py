"""The write layer's rules for free text, coordinates and answers to a type's custom questions.

Services take real types (`str`, `float`, a mapping of answers); the edges (API serializers,
forms, Open311) turn request values into them, with `parse_coordinate` for coordinates. Every
refusal is an `InvalidInput` naming its field, so each edge reports it on that field."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from tickets.errors import InvalidInput
from tickets.models import ServiceQuestion, ServiceType

TITLE_MAX = 200
DESCRIPTION_MAX = 5000
COMMENT_MAX = 5000
ADDRESS_MAX = 300
DISPLAY_NAME_MAX = 80
NOTE_MAX = 2000


# --- Text ---------------------------------------------------------------------------------------


def clean_text(value: str | None, *, field: str, max_length: int, required: bool = True) -> str:
    """Free text as stored: without NUL characters and surrounding blanks, present when
    required, at most `max_length` characters. `None` is no text."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        # Kept for callers in other apps that still hand over raw request values.
        raise InvalidInput(_("Must be text."), field=field)
    value = value.replace("\x00", "").strip()
    if required and not value:
        raise InvalidInput(_("This field is required."), field=field)
    if len(value) > max_length:
        raise InvalidInput(
            _("At most %(max)s characters (this has %(n)s).")
            % {"max": max_length, "n": len(value)},
            field=field,
        )
    return value


# --- Coordinates --------------------------------------------------------------------------------


def check_coordinate(number: float, *, field: str, bound: float) -> float:
    """A latitude (`bound` 90) or longitude (`bound` 180): finite and within ±bound."""
    if not math.isfinite(number) or not -bound <= number <= bound:
        raise InvalidInput(
            _("Must be between %(min)s and %(max)s.") % {"min": -bound, "max": bound}, field=field
        )
    return number


def parse_coordinate(value: str | float | None, *, field: str, bound: float) -> float:
    """For the edges: a request value (text or number) as a checked coordinate."""
    if value is None or isinstance(value, bool):
        raise InvalidInput(_("Must be a number."), field=field)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(_("Must be a number."), field=field) from None
    return check_coordinate(number, field=field, bound=bound)


# --- Answers to custom questions -----------------------------------------------------------------


def validate_answers(
    service_type: ServiceType, answers: Mapping[str, object] | None
) -> dict[str, Any]:
    """Check answers to the type's custom questions; return them normalised. The values are as
    the request carried them: which type each must have is the question's to say."""
    answers = answers or {}
    questions = {q.code: q for q in service_type.questions.all()}
    unknown = sorted(set(answers) - set(questions))
    if unknown:
        raise InvalidInput(
            _("Unknown question(s): %(codes)s.") % {"codes": ", ".join(unknown)}, field="answers"
        )
    clean: dict[str, Any] = {}
    for code, question in questions.items():
        value = answers.get(code)
        if value in (None, "", []):
            if question.required:
                raise InvalidInput(
                    _("“%(q)s” is required.") % {"q": question.local_description},
                    field=f"answers.{code}",
                )
            continue
        clean[code] = _answer(question, value)
    return clean


def _answer(question: ServiceQuestion, value: object) -> Any:
    field = f"answers.{question.code}"
    kind = question.datatype
    if kind == ServiceQuestion.Datatype.NUMBER:
        try:
            if not isinstance(value, str | int | float):
                raise TypeError
            number = float(value)
        except (TypeError, ValueError):
            raise InvalidInput(_("Must be a number."), field=field) from None
        if not math.isfinite(number):
            raise InvalidInput(_("Must be a number."), field=field)
        return int(number) if number.is_integer() else number
    if kind == ServiceQuestion.Datatype.DATETIME:
        moment = parse_datetime(str(value)) if isinstance(value, str) else None
        if moment is None:
            raise InvalidInput(_("Must be a date and time (ISO 8601)."), field=field)
        return moment.isoformat()
    if kind == ServiceQuestion.Datatype.SINGLE:
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if str(value) not in question.value_keys:
            raise InvalidInput(_("Not one of the offered choices."), field=field)
        return str(value)
    if kind == ServiceQuestion.Datatype.MULTI:
        values = value if isinstance(value, list) else [value]
        keys = [str(v) for v in values]
        if not keys or any(k not in question.value_keys for k in keys):
            raise InvalidInput(_("Not one of the offered choices."), field=field)
        return sorted(set(keys), key=keys.index)
    limit = 200 if kind == ServiceQuestion.Datatype.STRING else 2000
    if not isinstance(value, str):
        raise InvalidInput(_("Must be text."), field=field)
    return clean_text(value, field=field, max_length=limit)
