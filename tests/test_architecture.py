"""The shape of the code, checked (docs/architecture.md): layers one way, no import cycle, a
function-local import says why it is local, modules stay small enough to read."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("project", "tickets", "realtime", "moderation", "notifications", "security")
LONG_REASON = "Over 400 lines"


def _modules() -> list[Path]:
    return sorted(
        path
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
    )


def test_import_contracts_hold() -> None:
    """Layers (project → moderation | notifications | security → tickets → realtime) and no
    import cycle between the modules of an app, as `lint-imports` reads pyproject.toml."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports_command; "
            "sys.exit(lint_imports_command())",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _local_project_imports(tree: ast.AST) -> list[ast.stmt]:
    found: list[ast.stmt] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.ImportFrom) and inner.module and inner.level == 0:
                names = [inner.module]
            elif isinstance(inner, ast.Import):
                names = [alias.name for alias in inner.names]
            else:
                continue
            if any(name.split(".")[0] in APPS for name in names):
                found.append(inner)  # type: ignore[arg-type]
    return found


def test_function_local_imports_of_our_code_say_why() -> None:
    """A function-local import of the project's own code is there for a reason (app loading,
    a command that must not pull the world in): a comment on its line or the line above says
    which. Imports that only broke cycles are gone; the layers make them unnecessary."""
    silent: list[str] = []
    for path in _modules():
        source = path.read_text()
        lines = source.splitlines()
        for node in _local_project_imports(ast.parse(source)):
            line = lines[node.lineno - 1]
            # The reason may head a block of local imports: look above the block.
            above = node.lineno - 2
            while above >= 0 and lines[above].strip().startswith(("from ", "import ")):
                above -= 1
            said = above >= 0 and lines[above].strip().startswith("#")
            if "#" not in line and not said:
                silent.append(f"{path.relative_to(ROOT)}:{node.lineno}: {line.strip()}")
    assert not silent, "function-local imports without a reason:\n" + "\n".join(silent)


def test_modules_stay_readable() -> None:
    """No module over 500 lines; one over 400 says why at its top."""
    crowded: list[str] = []
    for path in _modules():
        source = path.read_text()
        count = len(source.splitlines())
        docstring = ast.get_docstring(ast.parse(source)) or ""
        if count > 500 or (count > 400 and LONG_REASON not in docstring):
            crowded.append(f"{path.relative_to(ROOT)}: {count} lines")
    assert not crowded, f"split these by concept (or say '{LONG_REASON} …'):\n" + "\n".join(crowded)
