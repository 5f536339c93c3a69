"""Answers in JSON or XML, and the standard's error lists."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from tickets.errors import RateLimited, ServiceError

# Lists in XML: the element name of each item, by the name of the list.
XML_ITEM_TAGS = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# --- Answers: JSON or XML --------------------------------------------------------------------


# A view of the standard: (request, fmt, **url_kwargs) -> answer.
Open311View = Callable[..., HttpResponse]


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def _xml_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _XML_FORBIDDEN.sub("", str(value))


def _xml_fill(element: ET.Element, value: Any, tag: str) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _xml_fill(ET.SubElement(element, key), child, key)
    elif isinstance(value, list):
        item_tag = XML_ITEM_TAGS.get(tag, "item")
        for child in value:
            _xml_fill(ET.SubElement(element, item_tag), child, item_tag)
    else:
        element.text = _xml_text(value)


def to_xml(root: str, item: str | None, payload: Any) -> bytes:
    """`payload` under `<root>`: a list becomes one `<item>` per entry, a dict its children."""
    element = ET.Element(root)
    if item is not None:
        for entry in payload:
            _xml_fill(ET.SubElement(element, item), entry, item)
    else:
        _xml_fill(element, payload, root)
    # The standard asks for this exact declaration (encoding="UTF-8") before the root.
    return XML_DECLARATION + ET.tostring(element, encoding="unicode").encode("utf-8")


def respond(
    fmt: str, payload: Any, *, root: str, item: str | None = None, status: int = 200
) -> HttpResponse:
    if fmt == "xml":
        return HttpResponse(
            to_xml(root, item, payload), status=status, content_type="text/xml; charset=utf-8"
        )
    return JsonResponse(
        payload,
        status=status,
        safe=False,
        json_dumps_params={"ensure_ascii": False},
        content_type="application/json; charset=utf-8",
    )


def errors(fmt: str, status: int, *descriptions: str) -> HttpResponse:
    payload = [{"code": status, "description": d} for d in descriptions]
    return respond(fmt, payload, root="errors", item="error", status=status)


def open311_view(view: Open311View) -> Open311View:
    """Turn our errors and the write layer's into the standard's error list."""

    def wrapper(request: HttpRequest, fmt: str, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, fmt, **kwargs)
        except Open311Error as exc:
            return errors(fmt, exc.status, exc.description)
        except RateLimited as exc:
            response = errors(fmt, 429, exc.message)
            response["Retry-After"] = str(exc.retry_after)
            return response
        except ServiceError as exc:
            status = exc.status if exc.status in (400, 403, 404) else 400
            return errors(fmt, status, _describe(exc))

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _describe(exc: ServiceError) -> str:
    field = exc.field or ""
    if field.startswith("answers."):
        field = f"attribute[{field.removeprefix('answers.')}]"
    elif field == "answers":
        field = "attribute"
    elif field == "address":
        field = "address_string"
    elif field == "title":
        field = "description"
    return f"{field}: {exc.message}" if field else exc.message


def not_found(request: HttpRequest, fmt: str = "json", **kwargs: Any) -> HttpResponse:
    return errors(fmt, 404, "No such Open311 resource: see discovery.")
