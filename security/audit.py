"""Supply-chain check run by `make test`: pip-audit over every installed, pinned distribution
(`pip freeze --exclude-editable`: the direct pins of pyproject.toml and what they pulled in).

    python -m security.audit

- A known vulnerability that is not listed in `security/pip-audit-ignore.txt` fails (exit 1).
- pip-audit missing, crashing or printing something unreadable fails (exit 1).
- Distributions pip-audit could not check (the vulnerability service is unreachable, as on a
  machine whose only route to PyPI is a mirror without the JSON API) are reported in a banner
  that cannot be missed; with FIXLINE_AUDIT_STRICT=1 (set it wherever the service is reachable)
  that fails too (exit 2).

The ignore file holds one vulnerability ID per line followed by `#` and the reason (a line
without a reason is refused); see docs/security.md for how to handle a finding.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

IGNORE_FILE = Path(__file__).with_name("pip-audit-ignore.txt")


@dataclass
class Verdict:
    code: int
    findings: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    unaudited: list[str] = field(default_factory=list)
    audited: int = 0

    def report(self) -> str:
        lines = [f"pip-audit: {self.audited} distributions checked"]
        lines += [f"  VULNERABLE {f}" for f in self.findings]
        lines += [f"  ignored (see {IGNORE_FILE.name}) {i}" for i in self.ignored]
        if self.unaudited:
            bar = "!" * 78
            lines += [
                bar,
                f"!! SUPPLY-CHAIN AUDIT INCOMPLETE: {len(self.unaudited)} distributions could "
                "NOT be checked",
                "!! (the vulnerability service did not answer for them; nothing is known "
                "about them).",
                "!! First ones: " + ", ".join(self.unaudited[:8]),
                "!! Set FIXLINE_AUDIT_STRICT=1 where the service is reachable to fail on this.",
                bar,
            ]
        return "\n".join(lines)


def read_ignores(path: Path = IGNORE_FILE) -> dict[str, str]:
    """`ID  # reason` per line; blank lines and lines starting with # are comments."""
    ignores: dict[str, str] = {}
    if not path.exists():
        return ignores
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        vuln_id, _sep, reason = line.partition("#")
        if not reason.strip():
            raise SystemExit(f"{path.name}:{number}: an ignored vulnerability needs a reason")
        ignores[vuln_id.strip()] = reason.strip()
    return ignores


def evaluate(report: dict, ignores: dict[str, str], *, strict: bool) -> Verdict:
    """Turn pip-audit's JSON report into a verdict (pure: tested without the network)."""
    verdict = Verdict(code=0)
    for dep in report.get("dependencies", []):
        name = f"{dep.get('name')}=={dep['version']}" if dep.get("version") else dep.get("name")
        if "skip_reason" in dep:
            verdict.unaudited.append(name)
            continue
        verdict.audited += 1
        for vuln in dep.get("vulns", []):
            ids = {vuln.get("id", "")} | set(vuln.get("aliases", []))
            fixes = ", ".join(vuln.get("fix_versions", [])) or "no fix yet"
            text = f"{name}: {vuln.get('id')} (fixed in: {fixes})"
            if ids & set(ignores):
                verdict.ignored.append(text)
            else:
                verdict.findings.append(text)
    if verdict.findings:
        verdict.code = 1
    elif verdict.unaudited and strict:
        verdict.code = 2
    return verdict


def frozen_requirements() -> str:
    return subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--exclude-editable"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def run_pip_audit(requirements: str) -> dict:
    pip_audit = Path(sys.executable).with_name("pip-audit")
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write(requirements)
    try:
        done = subprocess.run(
            [str(pip_audit), "-r", handle.name, "--no-deps", "--disable-pip", "-f", "json",
             "--progress-spinner", "off", "--timeout", "20"],
            capture_output=True,
            text=True,
            timeout=600,
        )  # fmt: skip
    finally:
        os.unlink(handle.name)
    # Exit 1 only means "vulnerabilities found"; anything else unreadable is an error.
    try:
        return json.loads(done.stdout)
    except ValueError:
        raise SystemExit(
            f"pip-audit failed (exit {done.returncode}):\n{done.stderr[-3000:]}"
        ) from None


def main() -> int:
    strict = os.environ.get("FIXLINE_AUDIT_STRICT", "").lower() in {"1", "true", "yes"}
    verdict = evaluate(run_pip_audit(frozen_requirements()), read_ignores(), strict=strict)
    print(verdict.report(), file=sys.stderr if verdict.code or verdict.unaudited else sys.stdout)
    return verdict.code


if __name__ == "__main__":
    sys.exit(main())
