"""Cross-references of bot/qualification (questions, scoring, reps) with each other, the domain and NLU."""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Any, Iterator

from bot.checks.domain_refs import has_response, intent_names
from bot.checks.problems import WARNING, Problem
from bot.checks.project import DOMAIN, ORDERS, QUESTIONS, REPS, SCORING, Project

MAX_SCORE = 100


def without_intent(spec: dict[str, Any]) -> set[str]:
    """Categories reached without an intent of their own: by a short answer ("skip") or a stated count."""
    return set((spec.get("generic_answers") or {}).values()) | set(spec.get("number_ranges") or {})


def producible(project: Project, counts: Counter[str]) -> dict[str, set[str]]:
    """For each question, the categories some visitor answer can produce: those with an intent that has
    training examples, and those reached without an intent."""
    found = {}
    for question, spec in (project.questions or {}).items():
        other = without_intent(spec)
        found[question] = {c for c in spec["categories"] if counts[f"{question}_{c}"] > 0 or c in other}
    return found


def question_problems(project: Project, counts: Counter[str]) -> Iterator[Problem]:
    """Each question: a slot, asked by a form, and every category reachable through an intent."""
    questions, domain, file = project.questions, project.domain, project.file(QUESTIONS)
    if questions is None or domain is None or file is None:
        return
    intents, slots = intent_names(domain), domain.get("slots") or {}
    asked = {slot for form in (domain.get("forms") or {}).values() for slot in form.get("required_slots") or []}
    for question, spec in questions.items():
        if question not in slots:
            yield file.problem(
                [question],
                f"the question `{question}` has no slot `{question}` in bot/domain.yml",
                f"Add `{question}:` under `slots:` in bot/domain.yml (type text, a custom mapping), or fix the name.",
            )
        elif question not in asked:
            yield file.problem(
                [question],
                f"no form asks `{question}`, so only an answer given early can fill it",
                f"Add `- {question}` to `required_slots:` of qualification_form in bot/domain.yml.",
                WARNING,
            )
        generic = spec.get("generic_answers") or {}
        for index, category in enumerate(spec["categories"]):
            intent = f"{question}_{category}"
            if category in without_intent(spec) and counts[intent] == 0:
                continue  # reached through a short answer ("skip" means unknown) or a count only
            if intent not in intents:
                yield file.problem(
                    [question, "categories", index],
                    f"the answer `{category}` needs the intent `{intent}`, which is not under `intents:` "
                    "in bot/domain.yml",
                    f"Add `- {intent}` under `intents:` in bot/domain.yml and examples under `- intent: {intent}` "
                    "in bot/data/nlu.",
                )
            elif counts[intent] == 0:
                yield file.problem(
                    [question, "categories", index],
                    f"the intent `{intent}` has no training examples, so no answer can be recognised as `{category}`",
                    f"Add `- intent: {intent}` with at least 10 example answers to a file in bot/data/nlu.",
                )
        yield from _number_ranges(file, question, spec)
        for intent, category in generic.items():
            if category not in spec["categories"]:
                yield file.problem(
                    [question, "generic_answers", intent],
                    f"`{intent}` maps to `{category}`, which is not one of the categories of `{question}`",
                    f"Use one of {', '.join(spec['categories'])}, or add `{category}` to `categories:`.",
                )


def _number_ranges(file: Any, question: str, spec: dict[str, Any]) -> Iterator[Problem]:
    """Ranges name real categories, run from low to high, and do not overlap."""
    ranges = spec.get("number_ranges") or {}
    bounds = []
    for category, (low, high) in ranges.items():
        path = [question, "number_ranges", category]
        if category not in spec["categories"]:
            yield file.problem(
                path,
                f"`{category}` is not one of the categories of `{question}`",
                f"Use one of {', '.join(spec['categories'])}.",
            )
        if low is not None and high is not None and low > high:
            yield file.problem(path, f"the range of `{category}` runs backwards", f"Write it as [{high}, {low}].")
        bounds.append((low or 0, float("inf") if high is None else high, category))
    bounds.sort()
    for (_, high, first), (low, _, second) in itertools.pairwise(bounds):
        if low <= high:
            yield file.problem(
                [question, "number_ranges", second],
                f"the ranges of `{first}` and `{second}` overlap",
                f"Start `{second}` above the end of `{first}`.",
            )


def quick_reply_problems(project: Project) -> Iterator[Problem]:
    """The quick replies of each question must stand for one of its answers."""
    questions, domain, file = project.questions, project.domain, project.file(DOMAIN)
    if questions is None or domain is None or file is None:
        return
    for question, spec in questions.items():
        accepted = {f"{question}_{category}" for category in spec["categories"]}
        accepted |= set(spec.get("generic_answers") or {})
        response = f"utter_ask_{question}"
        for index, variation in enumerate((domain.get("responses") or {}).get(response) or []):
            for number, button in enumerate(variation.get("buttons") or []):
                payload = str(button.get("payload") or "")
                if payload.startswith("/") and payload[1:] not in accepted and payload[1:] in intent_names(domain):
                    yield file.problem(
                        ["responses", response, index, "buttons", number, "payload"],
                        f'the quick reply "{button.get("title")}" sends `{payload}`, '
                        f"which is no answer to `{question}`",
                        f"Use one of {', '.join('/' + intent for intent in sorted(accepted))}.",
                    )


def scoring_problems(project: Project, counts: Counter[str]) -> Iterator[Problem]:
    """Points and stage gates only name questions and answers that can happen."""
    scoring, file, questions = project.scoring, project.file(SCORING), project.questions
    if scoring is None or file is None or questions is None:
        return
    can_produce = producible(project, counts)
    yield from _points(file, scoring, questions, can_produce)
    for index, stage in enumerate(scoring["stages"]):
        for question, allowed in (stage.get("require") or {}).items():
            path = ["stages", index, "require", question]
            yield from _answers_exist(file, path, question, allowed, questions, can_produce, keyed=False)


def _points(file: Any, scoring: dict, questions: dict, can_produce: dict[str, set[str]]) -> Iterator[Problem]:
    points = scoring["points"]
    for question, table in points.items():
        yield from _answers_exist(file, ["points", question], question, list(table), questions, can_produce, keyed=True)
        missing = [c for c in (questions.get(question) or {}).get("categories", []) if c not in table]
        if question in questions and missing:
            yield file.problem(
                ["points", question],
                f"no points are given for {', '.join(f'`{question}: {c}`' for c in missing)} (it scores 0)",
                f"Add `{missing[0]}: 0` (or the points you want) under `{question}:` so the choice is explicit.",
                WARNING,
            )
    best = sum(max(table.values(), default=0) for table in points.values())
    if best > MAX_SCORE:
        yield file.problem(
            ["points"],
            f"the best answers add up to {best}; scores are capped at {MAX_SCORE}",
            "Fine if intended; otherwise lower some points so the best lead scores exactly 100.",
            WARNING,
        )


def _answers_exist(
    file: Any,
    path: list,
    question: str,
    answers: list[str],
    questions: dict,
    can_produce: dict[str, set[str]],
    keyed: bool,
) -> Iterator[Problem]:
    """Each answer must be one the question can produce; `keyed`: the answers are keys under `path`."""
    if question not in questions:
        yield file.problem(
            path,
            f"`{question}` is not a question in bot/qualification/questions.yml",
            f"Use one of {', '.join(questions)}, or add `{question}` there first.",
        )
        return
    categories = questions[question]["categories"]
    for answer in answers:
        if answer in can_produce.get(question, set()):
            continue
        why = (
            f"it is not one of its categories ({', '.join(categories)})"
            if answer not in categories
            else f"the intent `{question}_{answer}` has no training examples"
        )
        yield file.problem(
            [*path, answer] if keyed else path,
            f"`{question}: {answer}` can never happen: {why}",
            f"Use one of {', '.join(sorted(can_produce.get(question, set())))}, or add `{answer}` to the "
            f"categories of `{question}` in questions.yml with an intent `{question}_{answer}` and examples.",
        )


def stage_problems(project: Project) -> Iterator[Problem]:
    """Stages in a reachable order, ending with a catch-all, each with a deadline and a next-step message."""
    scoring, file = project.scoring, project.file(SCORING)
    if scoring is None or file is None:
        return
    stages, hours, domain = scoring["stages"], scoring["follow_up_hours"], project.domain
    names = [stage["stage"] for stage in stages]
    for index, stage in enumerate(stages):
        name = stage["stage"]
        if name in names[:index]:
            yield file.problem(["stages", index, "stage"], f"the stage {name} is listed twice", "Rename or delete one.")
        for earlier in stages[:index]:
            if not earlier.get("require") and earlier["min_score"] <= stage["min_score"]:
                yield file.problem(
                    ["stages", index, "min_score"],
                    f"the stage {name} can never be reached: {earlier['stage']} comes first and takes every lead "
                    f"scoring {earlier['min_score']} or more",
                    "Order the stages from the highest min_score to the lowest.",
                )
                break
        if name not in hours:
            yield file.problem(
                ["stages", index, "stage"],
                f"the stage {name} has no follow-up deadline under `follow_up_hours:`",
                f"Add `{name}: 24` (hours) under `follow_up_hours:`.",
            )
        if domain is not None and not has_response(domain, f"utter_next_step_{name.lower()}"):
            yield file.problem(
                ["stages", index, "stage"],
                f"the stage {name} has no next-step message: no response `utter_next_step_{name.lower()}`",
                f"Add `utter_next_step_{name.lower()}:` under `responses:` in bot/domain.yml "
                "(copy utter_next_step_mql and reword it).",
            )
    last = stages[-1]
    if last["min_score"] != 0 or last.get("require"):
        yield file.problem(
            ["stages", len(stages) - 1],
            f"the last stage ({last['stage']}) must take every remaining lead, but it needs "
            + ("conditions under `require:`" if last.get("require") else f"a score of {last['min_score']}"),
            "End the list with a catch-all stage: `min_score: 0` and no `require:` (IQL by default).",
        )
    for key in hours:
        if key not in names and key != "handoff":
            yield file.problem(
                ["follow_up_hours", key],
                f"`{key}` is not a stage (stages: {', '.join(names)}) nor `handoff`",
                "Fix the spelling of the stage, or delete the line.",
            )


def reps_problems(project: Project) -> Iterator[Problem]:
    """At least one active rep, no rep twice, and only real stages assigned to reps."""
    reps, file = project.reps, project.file(REPS)
    if reps is None or file is None:
        return
    people = reps["reps"]
    names = [rep["name"] for rep in people]
    for index, name in enumerate(names):
        if name in names[:index]:
            yield file.problem(["reps", index, "name"], f"{name} is listed twice", "Keep one entry per rep.")
    active = [rep for rep in people if rep.get("active", True)]
    if not active:
        yield file.problem(
            ["reps"],
            f"every rep is inactive, so every hot lead goes to the fallback ({reps['fallback']['name']})",
            "Set `active: true` for at least one rep, or add a rep who is available.",
        )
    elif all((rep.get("segments") or {}).get("region") for rep in active):
        yield file.problem(
            ["reps"],
            "every active rep covers some regions only, so leads without a phone number go to the fallback",
            "Fine if intended; otherwise give one active rep `segments: {}` (covers every lead).",
            WARNING,
        )
    scoring = project.scoring
    if scoring is not None:
        stage_names = [stage["stage"] for stage in scoring["stages"]]
        for index, stage in enumerate(reps.get("assign_stages") or []):
            if stage not in stage_names:
                yield file.problem(
                    ["assign_stages", index],
                    f"`{stage}` is not a stage in bot/qualification/scoring.yml",
                    f"Use one of {', '.join(stage_names)}.",
                )


def variant_problems(project: Project) -> Iterator[Problem]:
    """Variants of a question (integrations/variants.py): two or more, each name once, someone gets each,
    different wordings, and an ask action that can say them."""
    questions, file, domain = project.questions, project.file(QUESTIONS), project.domain
    if questions is None or file is None:
        return
    actions = set((domain or {}).get("actions") or [])
    for question, spec in questions.items():
        variants = spec.get("variants")
        if not isinstance(variants, list) or len(variants) < 2:
            continue
        path = [question, "variants"]
        names = [variant.get("name") for variant in variants]
        for index, name in enumerate(names):
            if name in names[:index]:
                yield file.problem(
                    [*path, index, "name"],
                    f"the variant `{name}` of `{question}` is listed twice",
                    "Give each variant its own name (the report and the leads tell them apart by it).",
                )
        shares = [variant.get("share", 1) for variant in variants]
        if all(isinstance(share, (int, float)) for share in shares) and sum(shares) <= 0:
            yield file.problem(
                path,
                f"every variant of `{question}` has share 0, so nobody would be asked it",
                "Give at least one variant a share above 0, e.g. `share: 50`.",
            )
        for index, share in enumerate(shares):
            if share == 0 and sum(shares) > 0:
                yield file.problem(
                    [*path, index, "share"],
                    f"the variant `{names[index]}` of `{question}` has share 0: no visitor gets it",
                    "Fine to pause it; delete the variant once the test is over.",
                    WARNING,
                )
        wordings = [variant.get("text") or f"utter_ask_{question}" for variant in variants]
        for index, wording in enumerate(wordings):
            if wording in wordings[:index]:
                yield file.problem(
                    [*path, index],
                    f"the variant `{names[index]}` of `{question}` has the same wording as "
                    f"`{names[wordings.index(wording)]}`, so the test compares nothing",
                    "Give it its own `text:` (a variant without `text:` uses utter_ask_" + question + ").",
                )
        if domain is not None and f"action_ask_{question}" not in actions:
            yield file.problem(
                path,
                f"`{question}` has variants, but bot/domain.yml has no action `action_ask_{question}` to ask them",
                f"Add `- action_ask_{question}` under `actions:` in bot/domain.yml.",
            )


def order_problems(project: Project) -> Iterator[Problem]:
    """Order variants (bot/qualification/orders.yml): two or more, each name once, a share above 0, and each
    order lists every question of qualification_form exactly once."""
    file = project.file(ORDERS)
    if file is None:
        return
    data = project.data(ORDERS)
    if data is None:
        return
    entries = data.get("orders") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(entries, list):
        yield file.problem(
            [], "orders.yml must hold `orders:` with a list of orders", "Write `orders: []` for no test."
        )
        return
    if len(entries) == 1:
        yield file.problem(["orders"], "there is only one order, so nothing is compared", "Add a second order.")
    form = ((project.domain or {}).get("forms") or {}).get("qualification_form") or {}
    asked = list(form.get("required_slots") or [])
    names: list[Any] = []
    for index, entry in enumerate(entries):
        path: list[Any] = ["orders", index]
        if not isinstance(entry, dict):
            yield file.problem(
                path, "an order must have `name:`, `share:` and `questions:`", "See the example at the top."
            )
            continue
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            yield file.problem(path, "this order has no `name:`", "Add `name: budget_first` (any unique word).")
        elif name in names:
            yield file.problem(
                [*path, "name"],
                f"the order `{name}` is listed twice",
                "Give each order its own name (the report and the leads tell them apart by it).",
            )
        names.append(name)
        share = entry.get("share", 1)
        if isinstance(share, bool) or not isinstance(share, (int, float)) or share <= 0:
            yield file.problem(
                [*path, "share"] if "share" in entry else path,
                f"the share of the order `{name}` must be a number above 0, not {share!r}",
                "Write e.g. `share: 50` (shares are relative: 50/50, 1/3, 90/10).",
            )
        questions = entry.get("questions")
        if not isinstance(questions, list) or not all(isinstance(q, str) for q in questions):
            yield file.problem(
                [*path, "questions"] if "questions" in entry else path,
                f"the order `{name}` needs `questions:` with a list of question names",
                f"Write `questions: [{', '.join(asked)}]` in the order you want.",
            )
            continue
        for position, question in enumerate(questions):
            if question in questions[:position]:
                yield file.problem(
                    [*path, "questions", position],
                    f"the order `{name}` lists `{question}` twice",
                    "List each question of qualification_form exactly once.",
                )
            elif asked and question not in asked:
                yield file.problem(
                    [*path, "questions", position],
                    f"`{question}` is not a question of qualification_form in bot/domain.yml",
                    f"Use only {', '.join(asked)}.",
                )
        missing = [question for question in asked if question not in questions]
        if missing:
            yield file.problem(
                [*path, "questions"],
                f"the order `{name}` leaves out {', '.join(f'`{q}`' for q in missing)}",
                "List every question of qualification_form exactly once.",
            )
