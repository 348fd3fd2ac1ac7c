"""The marketer-edited files of a project, loaded with line numbers and checked against their schemas."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.checks.problems import Problem
from bot.checks.schema import schema_problems
from bot.checks.yaml_files import PYYAML_YAML, RASA_YAML, YamlFile, load, plain

DOMAIN = "bot/domain.yml"
DATA = "bot/data"
QUESTIONS = "bot/qualification/questions.yml"
SCORING = "bot/qualification/scoring.yml"
REPS = "bot/qualification/reps.yml"
ORDERS = "bot/qualification/orders.yml"  # optional: order variants (integrations/variants.py)
SCHEMA_OF = {DOMAIN: "domain", QUESTIONS: "questions", SCORING: "scoring", REPS: "reps"}


@dataclass
class Project:
    """Every readable file, and which of them match their schema (`valid`)."""

    root: Path
    files: dict[str, YamlFile] = field(default_factory=dict)
    valid: set[str] = field(default_factory=set)
    nlu_files: list[str] = field(default_factory=list)
    rule_files: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def file(self, rel: str) -> YamlFile | None:
        """The file when it is readable YAML (its schema problems, if any, are reported separately)."""
        return self.files.get(rel)

    def data(self, rel: str) -> Any:
        file = self.file(rel)
        return plain(file.data) if file else None

    @property
    def domain(self) -> dict[str, Any] | None:
        return self.data(DOMAIN)

    @property
    def questions(self) -> dict[str, Any] | None:
        return self.data(QUESTIONS)

    @property
    def scoring(self) -> dict[str, Any] | None:
        return self.data(SCORING)

    @property
    def reps(self) -> dict[str, Any] | None:
        return self.data(REPS)


def load_project(root: Path) -> Project:
    project = Project(root)
    for rel, schema in SCHEMA_OF.items():
        version = RASA_YAML if rel == DOMAIN else PYYAML_YAML
        _add(project, rel, version, schema)
    if (root / ORDERS).exists():
        _add(project, ORDERS, PYYAML_YAML, None)
    for path in sorted((root / DATA).rglob("*.yml")):
        rel = str(path.relative_to(root))
        loaded = _add(project, rel, RASA_YAML, None)
        if loaded is None or not isinstance(loaded.data, dict):
            continue
        if "nlu" in loaded.data:
            project.nlu_files.append(rel)
            _check_schema(project, loaded, "nlu")
        if "rules" in loaded.data or "stories" in loaded.data:
            project.rule_files.append(rel)
    return project


def _add(project: Project, rel: str, version: tuple[int, int], schema: str | None) -> YamlFile | None:
    if not (project.root / rel).exists():
        project.problems.append(Problem(rel, None, "the file is missing", f"Restore {rel} (see docs/marketers.md)."))
        return None
    loaded = load(project.root, rel, version)
    if isinstance(loaded, Problem):
        project.problems.append(loaded)
        return None
    project.files[rel] = loaded
    project.valid.add(rel)
    if schema:
        _check_schema(project, loaded, schema)
    return loaded


def _check_schema(project: Project, file: YamlFile, schema: str) -> None:
    found = schema_problems(file, schema)
    if found:
        project.problems.extend(found)
        project.valid.discard(file.rel)
