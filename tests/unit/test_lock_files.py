"""requirements/actions.lock is complete on its own: an image built from it alone (docs/production.md) can start
the action server and run the migrations. Every requirement of every package pinned there, with its markers
evaluated for Python 3.10 on Linux, is itself pinned there at a version the requirement accepts; dev.lock repeats
those pins and adds the test tools, so the tests' environment is built from it alone.

The requirements are read from the installed distributions (importlib.metadata), so the check sees exactly what
pip would: an `alembic` that needs `tomli` below Python 3.11, a `rasa-sdk` that needs `pluggy`.
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REQUIREMENTS = Path(__file__).resolve().parents[2] / "requirements"
# The action server's Python (.python-version): markers such as `python_version < "3.11"` are decided for it.
PYTHON = {"python_version": "3.10", "python_full_version": "3.10.13", "implementation_name": "cpython"}
# Every environment has pip of its own (the environment builder installs it); the locks leave it out.
BUILDER = frozenset({"pip"})


def pins(path: Path) -> dict[str, Version]:
    """`name==version` lines of a lock file, by canonical name (uv's `--hash` continuation lines skipped)."""
    pinned = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip().removesuffix("\\").strip()
        if line and not line.startswith("--hash"):
            name, _, version = line.partition("==")
            assert version, f"{path.name}: {line!r} is not an exact pin"
            pinned[canonicalize_name(name)] = Version(version)
    return pinned


def requirements_of(name: str) -> list[Requirement]:
    """What the installed distribution `name` needs at run time on Python 3.10 (no extras asked for)."""
    environment = {**default_environment(), **PYTHON, "extra": ""}
    needed = []
    for text in metadata.requires(name) or []:
        requirement = Requirement(text)
        if requirement.marker is None or requirement.marker.evaluate(environment):
            needed.append(requirement)
    return needed


def unmet(packages: dict[str, Version], available: dict[str, Version]) -> list[str]:
    """Each requirement of `packages` that `available` lacks or pins at a version it does not accept."""
    problems = []
    for name in sorted(packages):
        for requirement in requirements_of(name):
            wanted = canonicalize_name(requirement.name)
            if wanted in BUILDER:
                continue
            if wanted not in available:
                problems.append(f"{name} requires {requirement}, which is not pinned")
            elif not requirement.specifier.contains(available[wanted], prereleases=True):
                problems.append(f"{name} requires {requirement}, but {available[wanted]} is pinned")
    return problems


ACTIONS = pins(REQUIREMENTS / "actions.lock")
DEV = pins(REQUIREMENTS / "dev.lock")


@pytest.mark.parametrize("lock", [ACTIONS, DEV], ids=["actions.lock", "dev.lock"])
def test_every_pinned_package_is_the_one_installed(lock: dict[str, Version]) -> None:
    """Otherwise the requirements read below would be another version's."""
    installed = {name: Version(metadata.version(name)) for name in lock}
    assert installed == lock


def test_actions_lock_holds_every_requirement_of_its_packages() -> None:
    assert unmet(ACTIONS, ACTIONS) == []


def test_dev_lock_needs_nothing_outside_itself() -> None:
    assert unmet(DEV, DEV) == []


def test_dev_lock_is_actions_lock_plus_the_tools() -> None:
    """The actions environment of the tests is built from dev.lock alone: it must run exactly actions.lock's pins."""
    assert {name: DEV.get(name) for name in ACTIONS} == ACTIONS


@pytest.mark.parametrize("lock", ["rasa.lock", "actions.lock", "dev.lock", "tools.lock"])
def test_every_pin_carries_its_hashes(lock: str) -> None:
    lines = (REQUIREMENTS / lock).read_text().splitlines()
    pinned = [index for index, line in enumerate(lines) if "==" in line and not line.lstrip().startswith("#")]
    assert pinned and all(lines[index + 1].strip().startswith("--hash=sha256:") for index in pinned)


def test_a_missing_or_wrong_pin_is_found() -> None:
    """Guards the check: pluggy taken out, tomli unpinned (needed below Python 3.11), an old prompt-toolkit."""
    without = {name: version for name, version in ACTIONS.items() if name not in ("pluggy", "tomli")}
    problems = unmet(ACTIONS, without)
    assert "rasa-sdk requires pluggy<2.0.0,>=1.0.0, which is not pinned" in problems
    assert 'alembic requires tomli; python_version < "3.11", which is not pinned' in problems
    too_new = unmet({"rasa-sdk": ACTIONS["rasa-sdk"]}, {**ACTIONS, "prompt-toolkit": Version("3.0.48")})
    assert too_new == ["rasa-sdk requires prompt-toolkit<3.0.29,>=3.0, but 3.0.48 is pinned"]
