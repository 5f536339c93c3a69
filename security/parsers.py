"""The API's JSON parser: DRF's (strict: no NaN/Infinity), and also refusing
- strings with lone UTF-16 surrogates (`"\\ud800"`). Python accepts them from JSON, but they
  cannot be encoded as UTF-8: echoed in an answer they crash the renderer, stored they crash
  PostgreSQL;
- texts nested deeper than `realtime.jsondepth.MAX_DEPTH`, checked before parsing: Python's
  parser recurses per level, and 1,000 levels were a `RecursionError` (a 500)."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils import json

from realtime import jsondepth

_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return bool(_SURROGATE.search(value))
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_surrogate(v) for v in value)
    return False


class StrictJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        try:
            encoding = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
            text = stream.read().decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        if jsondepth.too_deep(text):
            raise ParseError(f"JSON parse error - nested deeper than {jsondepth.MAX_DEPTH} levels.")
        try:
            data = json.loads(text, parse_constant=json.strict_constant if self.strict else None)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        if _has_surrogate(data):
            raise ParseError("JSON parse error - invalid unicode (lone surrogate).")
        return data
