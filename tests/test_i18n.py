"""French is complete: every msgid of every catalogue in the project is translated (no empty
msgstr, nothing fuzzy), and `makemessages` finds no user-facing string that the catalogues
lack. The check runs makemessages into a temporary copy of the project's source."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[1]
SKIP_DIRS = {".venv", "node_modules", "var", ".git", "tests", ".ruff_cache", "docs"}
IGNORES = [f"--ignore={d}" for d in ("var", "tests", "node_modules", "static/vendor")]


def catalogues(root: Path) -> list[Path]:
    return sorted(
        p
        for p in root.rglob("locale/fr/LC_MESSAGES/*.po")
        if not SKIP_DIRS.intersection(p.relative_to(root).parts)
    )


def msgids(path: Path) -> set[tuple[str | None, str]]:
    return {(e.msgctxt, e.msgid) for e in polib.pofile(str(path)) if not e.obsolete}


def test_the_project_ships_french() -> None:
    found = {p.relative_to(ROOT).as_posix() for p in catalogues(ROOT)}
    assert "locale/fr/LC_MESSAGES/django.po" in found
    assert "locale/fr/LC_MESSAGES/djangojs.po" in found
    for po in catalogues(ROOT):
        assert po.with_suffix(".mo").exists(), f"{po} is not compiled (compilemessages)"


@pytest.mark.parametrize("po", catalogues(ROOT), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_string_is_translated(po: Path) -> None:
    catalogue = polib.pofile(str(po))
    untranslated = [e.msgid for e in catalogue.untranslated_entries() if not e.obsolete]
    fuzzy = [e.msgid for e in catalogue.fuzzy_entries() if not e.obsolete]
    assert not untranslated, f"untranslated in {po.name}: {untranslated[:20]}"
    assert not fuzzy, f"fuzzy in {po.name}: {fuzzy[:20]}"
    assert "nplurals=2" in catalogue.metadata.get("Plural-Forms", "")


def _source_copy(tmp: Path) -> Path:
    copy = tmp / "src"

    def ignore(directory: str, names: list[str]) -> set[str]:
        here = Path(directory)
        skipped = {n for n in names if n in SKIP_DIRS or n == "__pycache__"}
        if here == ROOT:
            skipped |= {"static"} & set(names)  # copied below without the vendored code
        return skipped | {n for n in names if n.endswith((".mo", ".pyc", ".png", ".sqlite3"))}

    shutil.copytree(ROOT, copy, ignore=ignore)
    shutil.copytree(
        ROOT / "static", copy / "static", ignore=shutil.ignore_patterns("vendor", "*.png")
    )
    return copy


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext is not installed")
def test_makemessages_finds_nothing_new(tmp_path: Path) -> None:
    copy = _source_copy(tmp_path)
    before = {p.relative_to(copy): msgids(p) for p in catalogues(copy)}
    for domain in ("django", "djangojs"):
        subprocess.run(
            [sys.executable, "manage.py", "makemessages", "-l", "fr", "-d", domain, *IGNORES],
            cwd=copy,
            check=True,
            capture_output=True,
            env={
                "PATH": "/usr/bin:/bin",
                "DJANGO_SETTINGS_MODULE": "project.settings",
                "FIXLINE_VAR_DIR": str(tmp_path / "var"),
            },
        )
    after = {p.relative_to(copy): msgids(p) for p in catalogues(copy)}
    assert set(after) == set(before), "makemessages created a new catalogue"
    for path, ids in after.items():
        new = sorted(ids - before[path], key=str)
        assert not new, f"{path}: strings missing from the catalogue: {new[:20]}"


def test_catalogues_compile_with_valid_placeholders(tmp_path: Path) -> None:
    """msgfmt --check-format: a translation that drops or misspells a %(name)s placeholder
    would crash the page that shows it."""
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "gettext's msgfmt is needed (make system-deps installs gettext)"
    for po in catalogues(Path(__file__).resolve().parents[1]):
        result = subprocess.run(
            [msgfmt, "--check-format", "-o", str(tmp_path / "out.mo"), str(po)],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, f"{po}: {result.stderr}"


# `gettext` and its kin translate when they are called. Called at import (a module's
# constant, a class attribute, a default argument), a text is fixed in the language of the
# process's start, and a French page shows it in English: those must be `gettext_lazy`.
EAGER = {"gettext", "ngettext", "pgettext", "npgettext"}


def translated_once_at_import(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    eager = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation"
        for alias in node.names
        if alias.name in EAGER
    }
    found: list[str] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                # Its body runs per call; its defaults and decorators run at import.
                for outer in (*child.args.defaults, *child.args.kw_defaults):
                    if outer is not None:
                        visit_expr(outer)
                for decorator in getattr(child, "decorator_list", []):
                    visit_expr(decorator)
                continue
            visit_expr(child, descend=False)
            visit(child)

    def visit_expr(node: ast.AST, descend: bool = True) -> None:
        nodes = ast.walk(node) if descend else [node]
        for sub in nodes:
            if (
                isinstance(sub, ast.Call)
                and isinstance(sub.func, ast.Name)
                and sub.func.id in eager
            ):
                found.append(f"{path.relative_to(ROOT)}:{sub.lineno}: {ast.unparse(sub)[:70]}")

    if eager:
        visit(tree)
    return found


def test_no_text_is_translated_once_at_import() -> None:
    sources = (
        p
        for p in ROOT.rglob("*.py")
        if not SKIP_DIRS.intersection(p.relative_to(ROOT).parts) and "migrations" not in p.parts
    )
    found = [hit for path in sorted(sources) for hit in translated_once_at_import(path)]
    assert found == [], "use gettext_lazy for texts built at import:\n" + "\n".join(found)
