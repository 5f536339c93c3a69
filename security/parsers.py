"""The API's JSON parser: DRF's (strict: no NaN/Infinity), and also refusing strings with
lone UTF-16 surrogates (`"\\ud800"`). Python accepts them from JSON, but they cannot be encoded
as UTF-8: echoed in an answer they crash the renderer, stored they crash PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

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
        data = super().parse(stream, media_type, parser_context)
        if _has_surrogate(data):
            raise ParseError("JSON parse error - invalid unicode (lone surrogate).")
        return data
