"""No secret is committed: every file git tracks is scanned for values that look like real credentials.

What counts as a finding: a Slack webhook URL with a real-looking token, a HubSpot `pat-` token, an AWS
access key id, a private key block, a `whsec_` signing secret longer than 20 characters, a literal value
assigned to `RASA_TOKEN` or any `*_SECRET` / `*_TOKEN` variable outside tests/, and a committed `.env`.

What is allowed (the rule, kept simple on purpose):
* the placeholders documented in `.env.example` (`T000/B000/XXXXXXXX`, `pat-na1-...`, `whsec_...`);
* values that say they are not real: containing test, fake, example, dummy, sample, placeholder,
  revoked, xxxx, `...` or `<` (for `whsec_` secrets, also their base64-decoded text);
* fixtures of the tests that only talk to local fake servers: files under tests/support/ and
  tests/unit/channels/ (except private keys and AWS keys, which no test needs).
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT

SKIPPED_DIRS = {".venvs", "models", "var", ".git", "__pycache__", "node_modules", ".pytest_cache", ".ruff_cache"}
ENV_TEMPLATES = {".env.example", ".env.sample", ".env.template"}
PLACEHOLDERS = {"https://hooks.slack.com/services/T000/B000/XXXXXXXX", "pat-na1-...", "whsec_..."}
FAKE_MARKERS = ("test", "fake", "example", "dummy", "sample", "placeholder", "revoked", "xxxx", "...", "<")
FIXTURE_DIRS = ("tests/support/", "tests/unit/channels/")
ALWAYS_REAL = {"aws access key", "private key"}
MAX_BYTES = 2_000_000

PATTERNS: dict[str, re.Pattern[str]] = {
    "slack webhook": re.compile(r"hooks\.slack\.com/services/T[A-Za-z0-9]+/B[A-Za-z0-9]+/[A-Za-z0-9]{20,}"),
    "hubspot token": re.compile(r"\bpat-[a-z]{2}\d-[0-9a-fA-F-]{20,}"),
    "aws access key": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "private key": re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----"),
    "webhook secret": re.compile(r"\bwhsec_[A-Za-z0-9+/=_-]{21,}"),
}
ASSIGNMENT = re.compile(
    r"(?<![A-Za-z0-9_])(?P<name>RASA_TOKEN|[A-Z][A-Z0-9_]*_(?:SECRET|TOKEN))[ \t]*=(?!=)[ \t]*"
    r"(?P<value>\"[^\"\n]*\"|'[^'\n]*'|[^\s'\"#]*)"
)


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    kind: str
    value: str

    def __str__(self) -> str:
        shown = self.value if len(self.value) <= 12 else self.value[:8] + "…"
        return f"{self.path}:{self.line}: {self.kind} ({shown})"


def tracked_files(root: Path) -> tuple[list[str], bool]:
    """Paths relative to `root` that git tracks, or, without git, every file of the tree; and whether git answered."""
    try:
        result = subprocess.run(
            ["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True, timeout=60, text=True
        )
        return [path for path in result.stdout.split("\0") if path], True
    except (OSError, subprocess.SubprocessError):
        return list(walk(root)), False


def walk(root: Path) -> Iterator[str]:
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(name for name in subdirs if name not in SKIPPED_DIRS)
        for name in sorted(files):
            yield (Path(directory) / name).relative_to(root).as_posix()


def looks_fake(value: str) -> bool:
    text = value.lower()
    if any(marker in text for marker in FAKE_MARKERS):
        return True
    if text.startswith("whsec_"):
        try:
            decoded = base64.b64decode(value[6:], validate=True).decode("utf-8", "replace").lower()
        except (binascii.Error, ValueError):
            return False
        return any(marker in decoded for marker in FAKE_MARKERS)
    return False


def allowed(path: str, kind: str, value: str) -> bool:
    if value in PLACEHOLDERS or looks_fake(value):
        return True
    return path.startswith(FIXTURE_DIRS) and kind not in ALWAYS_REAL


def scan_text(path: str, text: str) -> list[Finding]:
    findings = []
    for number, line in enumerate(text.splitlines(), start=1):
        for kind, pattern in PATTERNS.items():
            for match in pattern.finditer(line):
                if not allowed(path, kind, match.group()):
                    findings.append(Finding(path, number, kind, match.group()))
        if path.startswith("tests/"):
            continue
        for match in ASSIGNMENT.finditer(line):
            raw = match.group("value")
            quoted = raw[:1] in "\"'" and len(raw) >= 2
            value = raw[1:-1] if quoted else raw
            if path.endswith(".py") and not quoted:
                continue  # a Python expression (RASA_TOKEN=config.token), not a value
            if not value or value.startswith(("$", "{", "%")) or allowed(path, "assignment", value):
                continue
            findings.append(Finding(path, number, f"{match.group('name')} assignment", value))
    return findings


def committed_env_files(paths: Iterable[str]) -> list[str]:
    return [path for path in paths if _is_env_file(Path(path).name)]


def _is_env_file(name: str) -> bool:
    return (name == ".env" or name.startswith(".env.")) and name not in ENV_TEMPLATES


def scan(root: Path, paths: Iterable[str]) -> list[Finding]:
    findings = []
    for path in paths:
        file = root / path
        if _is_env_file(file.name) or not file.is_file() or file.is_symlink() or file.stat().st_size > MAX_BYTES:
            continue  # a .env is reported by committed_env_files; links (domain.yml, data/) point inside
        data = file.read_bytes()
        if b"\0" in data[:8192]:
            continue  # binary (images)
        findings.extend(scan_text(path, data.decode("utf-8", "replace")))
    return findings


def test_no_secret_in_tracked_files() -> None:
    paths, from_git = tracked_files(ROOT)
    assert paths, "nothing to scan"
    findings = scan(ROOT, paths)
    assert not findings, "secret-looking values committed:\n" + "\n".join(map(str, findings))
    if from_git:
        assert not committed_env_files(paths), "a .env file is committed; keep secrets only in the untracked .env"
    else:  # without git, check that .env cannot be committed
        assert ".env" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()


def test_the_documented_placeholders_and_test_fixtures_are_allowed() -> None:
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    for placeholder in PLACEHOLDERS:
        assert placeholder in example, placeholder
    assert scan_text(".env.example", example) == []
    fixture = 'WEBHOOK_SECRET = "whsec_' + "Mf" * 16 + '"\n'
    assert scan_text("tests/unit/channels/fakes.py", fixture) == []
    fake = base64.b64encode(b"a test secret for the webhook").decode()
    assert scan_text("tests/unit/test_x.py", 'secret = "whsec_' + fake + '"') == []  # says it is a test
    assert scan_text("tests/unit/test_x.py", 'secret = "whsec_' + "Mf" * 16 + '"') != []  # not a fixture dir
    assert scan_text("integrations/runtime/stack.py", "env = dict(RASA_TOKEN=self.config.rasa_token)") == []


def test_a_planted_secret_is_flagged(tmp_path: Path) -> None:
    # built at run time so that this file itself holds no secret-looking value
    token = "".join(chr(ord("a") + (index * 7) % 26) for index in range(24))
    planted = {
        "config/slack.sh": f"curl https://hooks.slack.com/services/T04ABCD12/B05EFGH34/{token}\n",
        "integrations/crm.py": 'TOKEN = "pat-na1-' + "9f3c2b1a-7d6e-4c5b-8a9f-0e1d2c3b4a59" + '"\n',
        "deploy/aws.txt": "key id: AKIA" + "Q7WZ3N5RJ2KX8LPM" + "\n",
        "deploy/id_ed25519": "-----BEGIN " + "OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n",
        "tests/unit/channels/leaked.py": "-----BEGIN " + "RSA PRIVATE KEY-----\n",
        "bot/hooks.yml": "secret: whsec_" + "Q29uZmlkZW50aWFsIHNpZ25pbmcga2V5" + "\n",
        "scripts/run.sh": "export RASA_TOKEN=" + "s3cr3t-rasa-t0ken-" + token + "\n",
        "docs/setup.md": "CRM_API_SECRET='" + token + "'\n",
        "bot/actions/config.py": 'SLACK_BOT_TOKEN = "' + "xoxb-" + token + '"\n',
        ".env": "RASA_TOKEN=" + token + "\n",
        "tests/unit/test_ok.py": 'RASA_TOKEN = "' + token + '"\n',  # a test's token is not a secret
        "docs/ok.md": "RASA_TOKEN=\nexport WEBHOOK_SECRET=$WEBHOOK_SECRET\nRASA_TOKEN=<your token>\n",
    }
    for path, content in planted.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(content, encoding="utf-8")
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "leaked.sh").write_text("RASA_TOKEN=" + token, encoding="utf-8")  # local state: skipped

    paths = list(walk(tmp_path))
    findings = {(finding.path, finding.kind) for finding in scan(tmp_path, paths)}
    assert findings == {
        ("config/slack.sh", "slack webhook"),
        ("integrations/crm.py", "hubspot token"),
        ("deploy/aws.txt", "aws access key"),
        ("deploy/id_ed25519", "private key"),
        ("tests/unit/channels/leaked.py", "private key"),
        ("bot/hooks.yml", "webhook secret"),
        ("scripts/run.sh", "RASA_TOKEN assignment"),
        ("docs/setup.md", "CRM_API_SECRET assignment"),
        ("bot/actions/config.py", "SLACK_BOT_TOKEN assignment"),
    }
    assert committed_env_files(paths) == [".env"]
    assert all(token not in str(finding) for finding in scan(tmp_path, paths))  # reports never print a secret


@pytest.mark.parametrize("name", [".env.example", ".env.sample", "env.py", ".envrc.md"])
def test_env_templates_are_not_env_files(name: str) -> None:
    assert committed_env_files([f"docs/{name}"]) == []
