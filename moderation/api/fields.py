"""Serializer fields for the moderation API's edges. They parse what the services no longer
parse, with the messages the write layer always answered (so a 400 still names the field and
says the same thing), and they document themselves in the OpenAPI schema."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_slug
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from realtime.events import iso
from tickets import geo
from tickets import services as ticket_services
from tickets.errors import InvalidInput

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class _Input(serializers.Field):
    """An input field whose absence, null and blank are all "no value": `parse` decides what
    that means (required or a default), as the write layer always did."""

    def __init__(self, **kwargs: Any) -> None:
        # Only documents whether null is welcome: `parse` decides what null means anyway.
        kwargs.setdefault("allow_null", not kwargs.get("required", True))
        super().__init__(**kwargs)

    def get_value(self, dictionary: Any) -> Any:
        # As sent, even from a form or a query string (DRF would turn "" into null or absent).
        return dictionary.get(self.field_name, empty)

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        if data is empty:
            if not self.required:
                return True, self.get_default()
            data = None
        return False, data

    def to_internal_value(self, data: Any) -> Any:
        try:
            return self.parse(data)
        except InvalidInput as exc:
            raise serializers.ValidationError(exc.message) from None

    def parse(self, data: Any) -> Any:
        raise NotImplementedError

    def to_representation(self, value: Any) -> Any:
        return value


@extend_schema_field(OpenApiTypes.STR)
class Text(_Input):
    """Plain text, through `tickets.services.clean_text`: NUL bytes dropped, stripped, at most
    `max_length` characters; `blank=False` refuses an empty value."""

    def __init__(self, *, max_length: int, blank: bool = False, **kwargs: Any) -> None:
        self.max_length = max_length
        self.blank = blank
        if blank:
            kwargs.setdefault("required", False)
            kwargs.setdefault("default", "")
        super().__init__(**kwargs)

    def parse(self, data: Any) -> str:
        return ticket_services.clean_text(
            data, field=self.field_name or "", max_length=self.max_length, required=not self.blank
        )


@extend_schema_field({"type": "string", "pattern": "^[-a-zA-Z0-9_]+$"})
class Slug(Text):
    def parse(self, data: Any) -> str:
        value = super().parse(data)
        try:
            validate_slug(value)
        except DjangoValidationError:
            raise InvalidInput(_("Letters, digits, hyphens and underscores only.")) from None
        return value


class Choice(serializers.ChoiceField):
    """One of `choices`; anything else (missing, null, blank, unknown) gets `message`."""

    def __init__(self, choices: Sequence[str], *, message: StrOrPromise, **kwargs: Any) -> None:
        messages: dict[str, StrOrPromise] = {
            key: message for key in ("required", "null", "blank", "invalid_choice")
        }
        super().__init__(choices=list(choices), error_messages=messages, **kwargs)


@extend_schema_field(OpenApiTypes.INT)
class WholeNumber(_Input):
    """A whole number (JSON number or text); null (and blank, unless `blank=False`) is
    `default`. `low`/`high`, when given, bound it. Every failure answers `message`."""

    def __init__(
        self,
        *,
        message: StrOrPromise,
        low: int | None = None,
        high: int | None = None,
        refuse_bool: bool = False,
        blank: bool = True,
        **kwargs: Any,
    ) -> None:
        self.message, self.low, self.high = message, low, high
        self.refuse_bool, self.blank = refuse_bool, blank
        kwargs.setdefault("required", False)
        kwargs.setdefault("default", None)
        super().__init__(**kwargs)

    def parse(self, data: Any) -> int | None:
        if data is None or (data == "" and self.blank):
            return self.default if isinstance(self.default, int) else None
        if self.refuse_bool and isinstance(data, bool):
            raise InvalidInput(str(self.message))
        if isinstance(data, float) and not data.is_integer():  # 1.5 minutes is not whole
            raise InvalidInput(str(self.message))
        try:
            number = int(data)
        except (TypeError, ValueError, OverflowError):
            raise InvalidInput(str(self.message)) from None
        if (self.low is not None and number < self.low) or (
            self.high is not None and number > self.high
        ):
            raise InvalidInput(str(self.message))
        return number


@extend_schema_field(OpenApiTypes.BOOL)
class Switch(_Input):
    """true/false, or their form spellings ("true", "1", "on" / "false", "0", "")."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("default", False)
        super().__init__(**kwargs)

    def parse(self, data: Any) -> bool:
        if isinstance(data, bool):
            return data
        if data in ("true", "1", "on"):
            return True
        if data in ("false", "0", "", None):
            return False
        raise InvalidInput(_("Must be true or false."))


@extend_schema_field(OpenApiTypes.DATETIME)
class Moment(_Input):
    """An ISO 8601 date and time (a naive one is in the site's time zone)."""

    def parse(self, data: Any) -> datetime | None:
        if data in (None, ""):
            if self.required:
                raise InvalidInput(_("This field is required."))
            return None
        moment = data if isinstance(data, datetime) else None
        if moment is None and isinstance(data, str):
            try:
                moment = parse_datetime(data)
            except ValueError:
                moment = None
        if moment is None:
            raise InvalidInput(_("Must be a date and time (ISO 8601)."))
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return moment


@extend_schema_field(OpenApiTypes.OBJECT)
class Area(_Input):
    """An optional GeoJSON Polygon or MultiPolygon (`tickets.geo.parse_area` checks it); kept
    as sent."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("default", None)
        super().__init__(**kwargs)

    def parse(self, data: Any) -> Any:
        if data in (None, ""):
            return None
        try:
            geo.parse_area(data)
        except geo.GeometryError as exc:
            raise InvalidInput(str(exc)) from None
        return data


class When(serializers.DateTimeField):
    """Output: a moment in the API's ISO form (`realtime.events.iso`, UTC as `Z`)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value: datetime) -> str:
        return iso(value)


@extend_schema_field(OpenApiTypes.INT)
class Deferred(_Input):
    """A whole number that only some requests read: kept as sent, for the serializer's
    `validate` to parse when it matters (and to ignore otherwise)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("default", None)
        super().__init__(**kwargs)

    def parse(self, data: Any) -> Any:
        return data


@extend_schema_field(OpenApiTypes.STR)
class Key(_Input):
    """An opaque key, matched as sent: anything but text matches nothing."""

    def parse(self, data: Any) -> str:
        return data if isinstance(data, str) else ""


@extend_schema_field(OpenApiTypes.STR)
class Reference(_Input):
    """Something named by its slug, looked up as text; null or blank names nothing."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("default", None)
        super().__init__(**kwargs)

    def parse(self, data: Any) -> str | None:
        return None if data in (None, "") else str(data)
