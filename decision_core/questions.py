"""Next questions: the unknown facts whose answers would most change the result.

For every rule that has not fired but still could (no known fact contradicts
it), each unknown fact it reads gets a share of what the rule would change:

* safety: a triage rule that would raise the level; scored by how far it would
  raise it, shared between the rule's unknown conditions;
* diagnosis: a cause rule; scored by its weight, doubled when it could list a
  cause that is not listed yet, shared the same way.

The two lists are interleaved, safety first, so that with little known the
first questions cover both the red flags and the strongest discriminators.
"""
from __future__ import annotations

from typing import Any, NamedTuple

from .compiler import CompiledRules, fact_test
from .result import Question, SafetyQuestion
from .scoring import Conclusions


class _Open(NamedTuple):
    """A stratum-1 rule that can raise the triage or add evidence for a cause."""

    rule_id: str
    is_triage: bool
    weight: float  # cause rules: evidence weight; triage rules: the level's rank
    tests: tuple  # ((fact name, fact index, predicate), ...)
    findings: tuple[str, ...]
    single: str | None  # the fact of a one-condition rule: known means decided
    target: str
    cause_bit: int  # cause rules: the cause's bit in a question's "why" mask
    strong: bool  # a strong signal: it can list its cause on its own


class QuestionPlanner:
    """Plans the next questions of one catalogue. Facts are numbered in catalogue
    order, which is also how equal scores are ordered; the per-case tallies are
    lists indexed by that number."""

    def __init__(self, compiled: CompiledRules, limit: int = 10):
        self.compiled = compiled
        self.limit = limit
        self.facts = compiled.catalogue.facts
        self.level_rank = compiled.level_rank
        self._names = list(self.facts)
        index = {n: i for i, n in enumerate(self._names)}
        causes = sorted(compiled.catalogue.causes)
        self._cause_ids = causes
        bits = {c: 1 << i for i, c in enumerate(causes)}
        self._level_of_rank = {rank: lv for lv, rank in self.level_rank.items()}
        rules: list[_Open] = []
        for r in compiled.stratum1:
            if r.then.kind not in ("triage", "cause"):
                continue
            tests = tuple((c.subject, index[c.subject], fact_test(c)) for c in r.fact_conditions)
            findings = tuple(c.subject for c in r.when if c.op == "finding")
            is_triage = r.then.kind == "triage"
            weight = self.level_rank[r.then.target] if is_triage else (r.weight or 0.0)
            single = tests[0][0] if len(tests) == 1 and not findings else None
            rules.append(_Open(r.id, is_triage, weight, tests, findings, single, r.then.target,
                               0 if is_triage else bits[r.then.target], r.strength == "strong"))
        # Most rules read one fact: unknown, it is a question; known, the rule is decided. They
        # are visited per unknown fact; the others, rule by rule.
        self._multi = [r for r in rules if r.single is None]
        singles: dict[int, list[_Open]] = {}
        for r in rules:
            if r.single is not None:
                singles.setdefault(index[r.single], []).append(r)
        # per fact: the triage levels (ranks, highest first) its one-fact rules would raise the triage to;
        # the evidence weight its one-fact cause rules add (their sum), the ones that could list a
        # cause not listed yet (counted twice then), and their causes' bits
        self._singles = []
        for i, rules in sorted(singles.items()):
            ranks = tuple(sorted((r.weight for r in rules if r.is_triage), reverse=True))
            causes = [r for r in rules if not r.is_triage]
            base = 0.0
            for r in causes:
                base += abs(r.weight)
            positive = tuple((r.target, r.weight, r.strong) for r in causes if r.weight > 0)
            mask = 0
            for r in causes:
                mask |= r.cause_bit
            self._singles.append((self._names[i], i, ranks, bool(causes), base, positive, mask))
        self._thresholds = {cid: c.threshold for cid, c in compiled.catalogue.causes.items()}
        # which facts (by number) can lead to which finding, for rules that wait on one
        finding_facts: dict[str, dict[int, None]] = {}
        for r in compiled.stratum1:
            if r.then.kind == "finding":
                finding_facts.setdefault(r.then.target, {}).update(dict.fromkeys(index[c.subject] for c in r.fact_conditions))
        self._finding_facts = {f: tuple(ids) for f, ids in finding_facts.items()}
        # what a question says of its fact, whatever the case
        self._asked = [{"fact": n, "question": f.question, "label": f.label, "type": f.type}
                       for n, f in self.facts.items()]
        self._why: dict[tuple[int, int], str] = {}

    def plan(self, facts: dict[str, Any], case: dict, fired: set[str], conclusions: Conclusions,
             limit: int | None = None, skipped: frozenset[str] = frozenset()) -> tuple[list[Question], list[SafetyQuestion]]:
        """The next questions, best first (at most ``limit``, else the planner's), and every open red-flag
        question (one that could raise the triage). ``skipped``: questions the patient left unanswered in an
        interview; they stay unknown for good, so a rule that needs one is decided (it cannot fire)."""
        count = len(self._names)
        safety_max = [0.0] * count  # > 0 exactly when some triage rule waits on the fact
        safety_sum = [0.0] * count
        top_rank = [-1] * count  # the highest level a rule waiting on the fact would raise the triage to
        diagnosis: dict[int, float] = {}
        causes_mask = [0] * count  # the causes whose rules wait on the fact
        derived = conclusions.findings
        listed = {c.id for c in conclusions.causes}
        scores = conclusions.scores
        current = conclusions.triage_rank
        thresholds = self._thresholds
        names = self._names
        finding_facts = self._finding_facts
        strong_causes = conclusions.strong
        for rule_id, is_triage, weight, tests, findings, _, target, cause_bit, strong in self._multi:
            if rule_id in fired or (is_triage and weight <= current):
                continue
            # its unknown facts, unless a known fact already decides it
            unknown: list[int] = []
            for name, i, test in tests:
                if name in facts:
                    if not test(case):
                        unknown = []  # decided: it cannot fire
                        break
                elif name in skipped:
                    unknown = []  # it waits on an answer that will not come
                    break
                elif i not in unknown:
                    unknown.append(i)
            else:
                for f in findings:
                    if f not in derived:
                        unknown.extend(i for i in finding_facts.get(f, ()) if names[i] not in facts
                                       and names[i] not in skipped and i not in unknown)
            if not unknown:
                continue
            if is_triage:
                value = (weight - current) / len(unknown)
                for i in unknown:
                    if value > safety_max[i]:
                        safety_max[i] = value
                    safety_sum[i] += value
                    if weight > top_rank[i]:
                        top_rank[i] = weight
            else:
                value = abs(weight) / len(unknown)
                if weight > 0 and target not in listed and (strong or target in strong_causes) \
                        and scores.get(target, 0.0) + weight >= thresholds[target]:
                    value *= 2  # it could list a cause that is not listed yet (a cause needs a strong signal)
                for i in unknown:
                    diagnosis[i] = diagnosis.get(i, 0.0) + value
                    causes_mask[i] |= cause_bit
        for name, i, ranks, weighs, base, positive, mask in self._singles:
            if name in facts or name in skipped:
                continue  # every rule here is decided (and none can have fired while it was unknown)
            for rank in ranks:
                if rank <= current:
                    break
                value = float(rank - current)
                if value > safety_max[i]:
                    safety_max[i] = value
                safety_sum[i] += value
                if rank > top_rank[i]:
                    top_rank[i] = rank
            if weighs:
                value = base
                for target, weight, strong in positive:
                    if target not in listed and (strong or target in strong_causes) \
                            and scores.get(target, 0.0) + weight >= thresholds[target]:
                        value += weight  # it could list a cause that is not listed yet
                diagnosis[i] = diagnosis.get(i, 0.0) + value
                causes_mask[i] |= mask
        # Sums of shares may differ in the last bit with the order they were added in: rounded for ranking.
        safe = sorted((i for i in range(count) if safety_max[i] > 0.0),
                      key=lambda i: (-safety_max[i], -round(safety_sum[i], 9), i))
        diag = sorted(diagnosis, key=lambda i: (-round(diagnosis[i], 9), i))
        questions = [self._question(i, safety_max[i], diagnosis.get(i), top_rank[i], causes_mask[i])
                     for i in self._interleave(safe, diag, self.limit if limit is None else limit)]
        level_of = self._level_of_rank
        open_safety = [SafetyQuestion(names[i], self._asked[i]["question"], level_of[top_rank[i]]) for i in safe]
        return questions, open_safety

    def _interleave(self, safe: list[int], diag: list[int], limit: int) -> list[int]:
        """Safety and diagnosis questions in turn, safety first; a fact picked once is skipped."""
        picked: list[int] = []
        taken: set[int] = set()
        queues = [safe, diag]
        heads = [0, 0]
        while len(picked) < limit:
            progressed = False
            for q in (0, 1):
                queue, head = queues[q], heads[q]
                while head < len(queue) and queue[head] in taken:
                    head += 1
                if head < len(queue) and len(picked) < limit:
                    picked.append(queue[head])
                    taken.add(queue[head])
                    head += 1
                    progressed = True
                heads[q] = head
            if not progressed:
                break
        return picked

    def _question(self, i: int, safety: float, diagnosis: float | None, top_rank: int, causes_mask: int) -> Question:
        asked = self._asked[i]
        return Question(asked["fact"], asked["question"], asked["label"], asked["type"],
                        "safety" if safety else "diagnosis", self._why_text(top_rank, causes_mask),
                        round(safety * 10 + (diagnosis or 0.0), 3))

    def _why_text(self, top_rank: int, causes_mask: int) -> str:
        key = (top_rank, causes_mask)
        text = self._why.get(key)
        if text is None:
            parts = []
            if top_rank >= 0:
                parts.append(f"could raise the triage to {self._level_of_rank[top_rank]}")
            if causes_mask:
                ids = [c for bit, c in enumerate(self._cause_ids) if causes_mask >> bit & 1]
                parts.append("would help confirm or rule out " + ", ".join(ids))
            text = "; ".join(parts)
            if len(self._why) < 65536:  # bounded: at most one entry per (level, set of causes) seen
                self._why[key] = text
        return text
