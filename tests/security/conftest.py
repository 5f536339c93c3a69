"""Helpers for the attack tests: the XSS corpus, an HTML checker that finds markup a payload
could have smuggled in, surface discovery (features that may or may not exist yet), and a
table-scan for strings that must never be stored."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.urls import Resolver404, resolve

PAYLOAD_FILE = Path(__file__).with_name("xss_payloads.txt")


def xss_payloads() -> list[str]:
    lines = PAYLOAD_FILE.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("# ")]


def route_exists(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def need_route(path: str, what: str) -> None:
    """Skip (visibly) a surface whose feature has not landed yet."""
    if not route_exists(path):
        pytest.skip(f"{what} ({path}) does not exist yet")


# Tags a payload could use to run script or load a document; the site itself only uses
# <script src="/static/...">, json_script data blocks and <link href="/static/...">.
DANGEROUS_TAGS = {
    "iframe", "frame", "frameset", "object", "embed", "base", "applet", "bgsound",
    "meta", "math", "video", "audio", "source", "svg:script",
}  # fmt: skip
URL_ATTRS = {"href", "src", "action", "formaction", "background", "dynsrc", "lowsrc", "data"}


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: (value or "") for name, value in attrs}
        if tag == "script":
            src = values.get("src", "")
            # Our own files, the i18n catalogue, and json_script data blocks.
            data_block = not src and values.get("type") == "application/json"
            if not (src.startswith(("/static/", "/jsi18n/")) or data_block):
                self.problems.append(f"<script src={src!r} type={values.get('type')!r}>")
        elif tag == "style":
            self.problems.append("<style>")
        elif tag == "link" and not values.get("href", "").startswith(("/static/", "/feeds/")):
            # Our own web app manifest (docs/offline.md) and nothing else of its kind.
            manifest = values == {"rel": "manifest", "href": "/manifest.webmanifest"}
            if values.get("rel") not in ("alternate", "canonical", "icon") and not manifest:
                self.problems.append(f"<link {values}>")
        elif tag == "meta" and ("http-equiv" in values):
            self.problems.append(f"<meta http-equiv={values['http-equiv']!r}>")
        elif tag in DANGEROUS_TAGS and tag != "meta":
            self.problems.append(f"<{tag}>")
        for name, value in values.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name in URL_ATTRS:
                compact = "".join(value.split()).lower()
                if compact.startswith(("javascript:", "vbscript:", "data:text")):
                    self.problems.append(f"<{tag} {name}={value[:40]!r}>")
            if name == "style" and ("expression" in value or "url(" in value):
                self.problems.append(f"<{tag} style={value[:40]!r}>")


def markup_problems(html: str) -> list[str]:
    """Markup in `html` that could run script: what a payload would leave if it were not
    escaped. Our templates contain none of it, so any hit is an injection."""
    scanner = _Scanner()
    scanner.feed(html)
    scanner.close()
    return scanner.problems


def assert_no_raw_payload(text: str, payloads: list[str], *, where: str) -> None:
    """A payload holding markup must never come back verbatim (it would be live HTML)."""
    raw = [p for p in payloads if "<" in p and p in text]
    assert not raw, f"{where}: unescaped payloads {raw[:3]}"
    problems = markup_problems(text)
    assert not problems, f"{where}: injected markup {problems[:5]}"


def rows_containing(needles: list[str]) -> list[str]:
    """`app.model.field` of every stored text value containing one of `needles`."""
    hits = []
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields]
        for row in model._default_manager.all().values_list(*[f.attname for f in fields]):
            for field, value in zip(fields, row, strict=True):
                if value is None:
                    continue
                text = value if isinstance(value, str) else str(value)
                for needle in needles:
                    if needle in text:
                        hits.append(f"{model._meta.label}.{field.name}: {needle}")
    return hits


def all_text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)
