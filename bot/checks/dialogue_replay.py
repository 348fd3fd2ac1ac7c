"""`make test-dialogues`: replay the recorded conversations (tests/stories) and say in plain words what broke.

    .venvs/rasa/bin/python scripts/test_dialogues.py [--model models/leadbot.tar.gz] [--stories tests/stories]

Runs `rasa test core`, then reads its failed_test_stories.yml: for each conversation that broke, the
first step where the bot did something else than recorded, with what the visitor had just said, e.g.
In "SQL lead typed freely": after the visitor said "how much does it cost?", the bot was expected to
run utter_pricing but ran utter_out_of_scope.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
RASA = ROOT / ".venvs" / "rasa" / "bin" / "rasa"
PREDICTED = re.compile(r"#\s*predicted:\s*(?P<name>[^\s:]+)")
SOURCE = re.compile(r"^(?P<name>.*) \((?P<source>[^()]+\.ya?ml)\)$")


@dataclass
class Failure:
    """The first step of a story where the bot did something other than recorded."""

    story: str
    expected: str
    predicted: str
    said: str | None = None  # the visitor's last message, when the story recorded its text
    intent: str | None = None  # how that message was understood
    done_since: list[str] = field(default_factory=list)  # the bot's actions after it, before the failure
    later: int = 0  # further differences in the same story (usually consequences of the first)

    def describe(self) -> str:
        if self.intent is None:
            when = "at the start of the conversation"
        elif self.said and self.said.startswith("/"):
            when = f"after the visitor clicked the quick reply {self.said}"
        elif self.said:
            when = f'after the visitor said "{self.said}"'
        else:
            when = f"after the visitor's answer (understood as {self.intent})"
        if self.done_since:
            when += f" and the bot ran {', '.join(self.done_since)}"
        text = f'In "{self.story}": {when}, the bot was expected to run {self.expected} but ran {self.predicted}.'
        if self.later:
            text += f" ({self.later} later step(s) differ too, probably as a consequence.)"
        return text


def load_yaml(path: Path) -> Any:
    return YAML(typ="rt").load(path.read_text(encoding="utf-8"))


def predicted_in(step: Any) -> str | None:
    """The prediction Rasa wrote as a comment on a wrongly predicted step (`# predicted: ...`)."""
    comments = getattr(getattr(step, "ca", None), "items", {}) or {}
    for key in ("action", "intent", "bot"):
        tokens = comments.get(key) or []
        for token in tokens:
            values = token if isinstance(token, list) else [token]
            for value in values:
                match = PREDICTED.search(getattr(value, "value", "") or "")
                if match:
                    return match.group("name")
    return None


def recorded_texts(source: Path | None, story: str) -> list[str | None]:
    """The visitor's messages of the recorded story, in order (None where the text was not recorded)."""
    if source is None or not source.exists():
        return []
    for recorded in (load_yaml(source) or {}).get("stories") or []:
        if recorded.get("story") == story:
            return [step.get("user") for step in recorded.get("steps") or [] if "intent" in step]
    return []


def failures(report: Path, root: Path = ROOT) -> list[Failure]:
    """One Failure per broken story in Rasa's failed_test_stories.yml."""
    data = load_yaml(report) if report.exists() else None
    found = []
    for story in (data or {}).get("stories") or []:
        match = SOURCE.match(str(story.get("story")))
        name = match.group("name") if match else str(story.get("story"))
        source = Path(match.group("source")) if match else None
        if source is not None and not source.is_absolute():
            source = root / source
        failure = _first_failure(name, story.get("steps") or [], recorded_texts(source, name))
        if failure:
            found.append(failure)
    return found


def _first_failure(name: str, steps: Iterable[Any], texts: list[str | None]) -> Failure | None:
    failure: Failure | None = None
    turn, intent, done = -1, None, list[str]()
    for step in steps:
        predicted = predicted_in(step)
        if "intent" in step:
            turn, intent, done = turn + 1, str(step["intent"]), []
        if predicted and failure is None:
            said = texts[turn] if 0 <= turn < len(texts) else None
            expected = str(step.get("action") or step.get("intent") or step.get("bot"))
            failure = Failure(name, expected, predicted, said, intent if turn >= 0 else None, list(done))
        elif predicted and failure is not None:
            failure.later += 1
        if "action" in step:
            done.append(str(step["action"]))
    return failure


def count_stories(stories: Path) -> int:
    files = sorted(stories.rglob("*.yml")) if stories.is_dir() else [stories]
    return sum(len((load_yaml(path) or {}).get("stories") or []) for path in files)


def run_rasa_test(model: Path, stories: Path, out: Path) -> subprocess.CompletedProcess[str]:
    out.mkdir(parents=True, exist_ok=True)
    (out / "failed_test_stories.yml").unlink(missing_ok=True)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore", "TQDM_DISABLE": "1"}
    command = [str(RASA), "test", "core", "--model", str(model), "--stories", str(stories), "--out", str(out)]
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    (out / "rasa-test.log").write_text(run.stdout + run.stderr)
    return run


def shown(path: Path) -> str:
    """The path relative to the project when it is inside it."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "leadbot.tar.gz")
    parser.add_argument("--stories", type=Path, default=ROOT / "tests" / "stories")
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "reports" / "stories")
    args = parser.parse_args(argv)
    if not args.model.exists():
        print(f"No trained model at {args.model}: run `make train` first.")
        return 1
    total = count_stories(args.stories)
    run = run_rasa_test(args.model, args.stories, args.out)
    report = args.out / "failed_test_stories.yml"
    if run.returncode != 0 or not report.exists():
        tail = [line for line in (run.stdout + run.stderr).splitlines() if line.strip() and "Warning" not in line]
        print("\n".join(tail[-15:]))
        print(f"The dialogue tests could not run (see {args.out / 'rasa-test.log'}).")
        return 1
    broken = failures(report)
    for failure in broken:
        print(failure.describe())
    if broken:
        print(f"\n{len(broken)} of {total} recorded conversations broke (details: {shown(report)}).")
        print("If you changed the conversation on purpose, record them again (docs/marketers.md, Dialogue tests).")
        return 1
    print(f"All {total} recorded conversations still work ({shown(args.stories)}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
