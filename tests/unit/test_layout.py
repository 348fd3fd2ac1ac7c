"""The layout's rules (docs/architecture.md): one direction of imports, no path edits, no outside documents."""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

from tests.conftest import ROOT

# What the Rasa process may import of ours: the settings, and its own package.
RASA_PROCESS_MAY_IMPORT = ("integrations.settings", "integrations.rasa")


def tracked(pattern: str) -> list[Path]:
    names = subprocess.run(["git", "ls-files", pattern], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [ROOT / name for name in names.split()]


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, at the top or inside functions (a lazy import hides nothing here)."""
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return modules


def test_no_file_edits_the_import_path() -> None:
    this_file = Path(__file__).resolve()
    offenders = [
        str(path.relative_to(ROOT))
        for path in tracked("*.py")
        if path.resolve() != this_file and "sys.path" in path.read_text()
    ]
    assert offenders == []


def test_integrations_never_import_bot() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(name for name in imported_modules(path) if name.split(".")[0] == "bot")
        for path in tracked("integrations/*.py")
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_rasa_process_imports_only_its_own_package_and_the_settings() -> None:
    offenders = {}
    for path in tracked("integrations/rasa/*.py"):
        ours = {name for name in imported_modules(path) if name.split(".")[0] in {"bot", "integrations"}}
        bad = sorted(
            name
            for name in ours
            if name != "integrations"
            and not name.startswith(RASA_PROCESS_MAY_IMPORT)
            and not (name.startswith("integrations.") and name.removeprefix("integrations.") in {"settings", "rasa"})
        )
        if bad:
            offenders[str(path.relative_to(ROOT))] = bad
    assert offenders == {}


def test_no_file_cites_a_design_document_outside_the_repository() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in tracked("*")
        if path.resolve() != Path(__file__).resolve()
        and path.is_file()
        and path.suffix in {".py", ".md", ".yml", ".yaml", ".sh", ".json", ""}
        and "DESIGN" in path.read_text(errors="replace")
    ]
    assert offenders == [], "cite docs/design.md instead"
