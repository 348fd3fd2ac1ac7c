"""One problem found in a marketer-edited file: where it is, what is wrong, how to fix it."""

from __future__ import annotations

from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    message: str
    fix: str
    severity: str = ERROR

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    def render(self) -> str:
        return f"{self.location}: {self.severity}: {self.message}\n    fix: {self.fix}"

    def sort_key(self) -> tuple[bool, str, int, str]:
        """Errors first, then by file and line."""
        return (self.severity != ERROR, self.file, self.line or 0, self.message)


def errors(problems: list[Problem]) -> list[Problem]:
    return [problem for problem in problems if problem.severity == ERROR]
