"""Supply chain: the pip-audit step of `make test` (security/audit.py) fails on a known
vulnerability, honours only ignores that give a reason, and never passes silently when it
could not check anything. Its verdict logic is tested here without the network; the step
itself runs in `make test` before the suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from security import audit

REPORT = {
    "dependencies": [
        {"name": "django", "version": "5.2.19", "vulns": []},
        {
            "name": "oldlib",
            "version": "1.0",
            "vulns": [
                {"id": "PYSEC-2099-1", "aliases": ["CVE-2099-0001"], "fix_versions": ["1.1"]}
            ],
        },
        {"name": "offline", "skip_reason": "Dependency not found on PyPI"},
    ]
}


def test_a_known_vulnerability_fails() -> None:
    verdict = audit.evaluate(REPORT, {}, strict=False)
    assert verdict.code == 1
    assert verdict.findings == ["oldlib==1.0: PYSEC-2099-1 (fixed in: 1.1)"]


def test_an_ignored_vulnerability_passes_by_id_or_alias() -> None:
    for key in ("PYSEC-2099-1", "CVE-2099-0001"):
        verdict = audit.evaluate(REPORT, {key: "not reachable from our code"}, strict=False)
        assert verdict.code == 0 and verdict.ignored


def test_unaudited_dependencies_are_loud_and_fail_when_strict() -> None:
    report = {"dependencies": [REPORT["dependencies"][2]]}
    relaxed = audit.evaluate(report, {}, strict=False)
    assert relaxed.unaudited == ["offline"]
    assert "SUPPLY-CHAIN AUDIT INCOMPLETE" in relaxed.report()
    assert audit.evaluate(report, {}, strict=True).code == 2


def test_an_ignore_needs_a_reason(tmp_path: Path) -> None:
    good = tmp_path / "ok.txt"
    good.write_text(
        "# comment\nPYSEC-2099-1  # only in a code path we never call; recheck 2027-01\n"
    )
    assert audit.read_ignores(good) == {
        "PYSEC-2099-1": "only in a code path we never call; recheck 2027-01"
    }
    bad = tmp_path / "bad.txt"
    bad.write_text("PYSEC-2099-1\n")
    with pytest.raises(SystemExit):
        audit.read_ignores(bad)


def test_the_shipped_ignore_file_is_valid() -> None:
    for vuln_id, reason in audit.read_ignores().items():
        assert vuln_id and reason


def test_make_test_runs_the_audit() -> None:
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    recipe = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert "-m security.audit" in recipe
    assert "pip-audit" in (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
