"""The interview: which question to ask next, and when to stop (docs/interview.md).

Shared by the HTTP ``$next-question`` operation and ``decision-core interview``;
it keeps no state between calls: the answers so far (``facts``) and the questions
skipped are all it needs.

**When to stop**

1. As soon as the triage reaches a level that stops an interview (``stops_interview``
   in the triage ruleset: urgent and emergency), with that level's advice.
2. Otherwise, while a red-flag question is open -- one that could still raise the
   triage (the evaluator's ``open_safety_questions``), not yet answered or skipped
   and enabled -- ask it. **The red-flag screen first** (:mod:`decision_core.interview.screen`):
   "Do you have any of these?", every yes/no red flag in one question, while one of
   them is open. Its answer closes each red flag it lists (ticked: true; "None of
   these": false; unticked: unknown, skipped), so what follows are only the
   follow-ups a ticked red flag needs (which pain, how bad). Then the rest, the most
   severe first (the highest level it could raise the triage to), so every question
   that could make it an emergency has been asked before an urgent level stops the
   interview.
3. Then ask the next question, in the evaluator's order (``next_questions``, all of
   them), whose answer *could change* the outcome: the triage level, the set of
   listed causes or the top cause. "Could" is tried, not guessed: the case is
   evaluated with each possible answer (:meth:`Interview.probes`) added.
4. When none could, stop.

A skipped question stays unknown and is not asked again. A question whose
``enable_when`` does not hold (yet) is not asked.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from decision_core.catalogue.loading import Catalogue, Fact
from decision_core.catalogue.conditions import Condition
from decision_core.result.model import Question, Result
from decision_core.presentation import phrases
from decision_core.interview.screen import SCREEN_LABEL, SCREEN_LINK_ID, SCREEN_TEXT, SCREEN_WHY, read_screen, screen_facts

log = logging.getLogger(__name__)

ALL_QUESTIONS = 1 << 20
ASKING, STOP_LEVEL, SETTLED = "asking", "stop_level", "settled"


def holds(cond: Condition, facts: dict[str, Any]) -> bool:
    """Whether a condition on a fact holds for these answers (an unknown fact: it does not)."""
    if cond.subject not in facts:
        return False
    value = facts[cond.subject]
    op = cond.op
    if op == "is_true":
        return value is True
    if op == "is_false":
        return value is False
    if op == "eq":
        return value == cond.value
    if op == "ne":
        return value != cond.value
    if op == "in":
        return value in cond.value
    if op == "includes":
        return isinstance(value, list) and cond.value in value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return {"gte": value >= cond.value, "gt": value > cond.value,
            "lte": value <= cond.value, "lt": value < cond.value}.get(op, False)


@dataclass(frozen=True)
class Outcome:
    """What an interview must settle: the triage level, the listed causes and the top cause."""

    triage: str
    causes: frozenset[str]
    top: str | None

    @classmethod
    def of(cls, result: Result) -> "Outcome":
        return cls(result.triage.level, frozenset(c.id for c in result.causes),
                   result.causes[0].id if result.causes else None)


@dataclass
class Step:
    """Where an interview stands: the result so far, and the next question or why it stopped."""

    result: Result
    done: bool
    reason: str  # asking | stop_level | settled
    question: Question | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    skipped: tuple[str, ...] = ()
    screen: tuple[str, ...] = ()  # asking the red-flag screen: the facts it lists (question.fact is its linkId)


class Interview:
    """The interview over one evaluator's catalogue."""

    def __init__(self, evaluator):
        self.evaluator = evaluator
        self.catalogue: Catalogue = evaluator.catalogue
        self._rank = {lv.id: lv.rank for lv in self.catalogue.levels}
        self._probes = {name: self.probes(fact) for name, fact in self.catalogue.facts.items()}
        self.screen: tuple[str, ...] = screen_facts(self.catalogue)

    # ------------------------------------------------------------------ answers to try
    def probes(self, fact: Fact) -> list[Any]:
        """Answers that cover every way the rules can read a fact: each value (a multi-answer fact: each
        alone, none and all), each word the rules look for, and for numbers a value at and on each side
        of every threshold the rules compare it with."""
        conds = [c for r in self.catalogue.rules for c in r.fact_conditions if c.subject == fact.name]
        if fact.type == "bool":
            return [True, False]
        if fact.type == "choice":
            return list(fact.values)
        if fact.type in ("choices", "list"):
            words = list(fact.values) if fact.type == "choices" else sorted(
                {str(v) for c in conds for v in (c.value if c.op == "in" else (c.value,)) if v is not None})
            return [[w] for w in words] + [[], sorted(words)]
        points: set[float] = set()
        step = 1 if fact.type == "int" else 0.5
        for c in conds:
            for v in (c.value if c.op == "in" else (c.value,)):
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    points.update((v - step, v, v + step))
        low, high = fact.min, fact.max
        kept = sorted(p for p in points if (low is None or p >= low) and (high is None or p <= high))
        if not kept:
            kept = [low if low is not None else 0]
        return [int(p) if fact.type == "int" else p for p in kept]

    # ------------------------------------------------------------------ the rule
    def enabled(self, name: str, facts: dict[str, Any]) -> bool:
        return all(holds(c, facts) for c in self.catalogue.facts[name].enable_when)

    def could_change(self, name: str, facts: dict[str, Any], now: Outcome) -> bool:
        """Whether some answer to ``name`` would change the triage, the listed causes or the top cause."""
        for value in self._probes[name]:
            if Outcome.of(self.evaluator.evaluate_valid({**facts, name: value}, question_limit=0)) != now:
                return True
        return False

    def next_step(self, facts: dict[str, Any], skipped: Iterable[str] = ()) -> Step:
        """The next question for these (validated) answers, or why the interview stops."""
        skipped = tuple(dict.fromkeys(s for s in skipped if s not in facts))
        full = self.evaluator.evaluate_valid(facts, question_limit=ALL_QUESTIONS, skipped=frozenset(skipped))
        result = self.evaluator.evaluate_valid(facts)
        step = Step(result, True, STOP_LEVEL, facts=dict(facts), skipped=skipped)
        if self.catalogue.level(full.triage.level).stops_interview:
            return step
        closed = set(facts) | set(skipped)

        def open_(name: str) -> bool:
            return name not in closed and self.enabled(name, facts)

        by_fact = {q.fact: q for q in full.next_questions}
        safety = [s for s in full.open_safety_questions if open_(s.fact)]
        if any(s.fact in self.screen for s in safety):
            step.done, step.reason, step.screen = False, ASKING, self.screen
            step.question = Question(SCREEN_LINK_ID, SCREEN_TEXT, SCREEN_LABEL, "screen", "safety", SCREEN_WHY, 0.0,
                                     [phrases.screen_raises()])
            return step
        if safety:
            # the most severe first; at one level, red flags before the facts they combine with (a "no" or a
            # skip to the red flag can make its partner moot); else in the evaluator's order
            first = min(safety, key=lambda s: (-self._rank[s.could_raise_to], not self.catalogue.facts[s.fact].red_flag))
            step.done, step.reason, step.question = False, ASKING, by_fact.get(first.fact) or _question(
                self.catalogue.facts[first.fact], "safety", [phrases.raises_triage(first.could_raise_to)])
            return step
        now = Outcome.of(full)
        for q in full.next_questions:
            if open_(q.fact) and self.could_change(q.fact, facts, now):
                step.done, step.reason, step.question = False, ASKING, q
                return step
        step.reason = SETTLED
        return step

    def answer_screen(self, codes: Iterable[str] | None, facts: dict[str, Any],
                      skipped: Iterable[str] = ()) -> tuple[dict[str, Any], list[str]]:
        """The answers and skips after the screen: ``codes`` are the options ticked (fact names, or "none";
        None or nothing ticked: unanswered). A red flag already answered keeps its answer."""
        new, unknown = read_screen(self.screen, codes or ())
        facts = self.evaluator.validate({**{k: v for k, v in new.items() if k not in facts}, **facts})
        return facts, list(dict.fromkeys([*skipped, *(n for n in unknown if n not in facts)]))

    def run(self, answer: Callable[[Question], Any], facts: dict[str, Any] | None = None,
            skipped: Iterable[str] = ()) -> tuple[Step, list[str]]:
        """A whole interview: ``answer(question)`` gives each answer (None: skipped; for the screen, the codes
        ticked). Returns the last step and the questions shown, in order (the screen by its linkId)."""
        facts, skipped, asked = dict(facts or {}), list(skipped), []
        while True:
            step = self.next_step(facts, skipped)
            if step.done:
                return step, asked
            name = step.question.fact
            asked.append(name)
            value = answer(step.question)
            if step.screen:
                facts, skipped = self.answer_screen(value, facts, skipped)
            elif value is None:
                skipped.append(name)
            else:
                facts.update(self.evaluator.validate({**facts, name: value}))


def _question(fact: Fact, kind: str, why: list[dict]) -> Question:
    return Question(fact.name, fact.question, fact.label, fact.type, kind, phrases.english_texts(why), 0.0, why)
