"""Next questions: the unknown facts whose answers would most change the result.

For every rule that has not fired but still could (no known fact contradicts
it), each unknown fact it reads gets a share of what the rule would change:

* safety: a triage rule that would raise the level; scored by how far it would
  raise it, shared between the rule's unknown conditions;
* diagnosis: a cause rule; scored by its weight, doubled when it could list a
  cause that is not listed yet, shared the same way. When a finding chained
  from another cause already supports that cause (sitting switching the glutes
  off), the rule would also wake that support: it counts as part of the rule's
  weight, so the cause's own strong test is worth asking next (domain.md 2a).

The two lists are interleaved, safety first, so that with little known the
first questions cover both the red flags and the strongest discriminators.
"""
from __future__ import annotations

import heapq
from itertools import islice
from typing import Any, NamedTuple

from decision_core.engine.compiler import CompiledRules, fact_test
from decision_core.presentation import phrases
from decision_core.result.model import Question, SafetyQuestion
from decision_core.evaluation.scoring import Conclusions


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
        self._index = index
        self._prepare_baseline(compiled)
        # what a question says of its fact, whatever the case
        self._asked = [{"fact": n, "question": f.question, "label": f.label, "type": f.type}
                       for n, f in self.facts.items()]
        self._why: dict[tuple[int, int], tuple[str, tuple[dict, ...]]] = {}

    def _prepare_baseline(self, compiled: CompiledRules) -> None:
        """What cause rules give each fact's diagnosis score in a case where nothing is known.

        In a case, a cause rule none of whose facts (also those behind its findings) is
        known or skipped, and whose cause has no evidence yet, gives exactly that; so per
        case only the facts such rules do not reach keep their baseline score and order,
        and the rest are summed again, in the same order. A large catalogue's case then
        costs what the answered part of it touches, not every rule.
        """
        reaches: dict[str, set[int]] = {}  # finding -> every fact behind it, through chains
        changed = True
        while changed:
            changed = False
            for r in compiled.stratum1:
                if r.then.kind != "finding":
                    continue
                got = reaches.setdefault(r.then.target, set())
                before = len(got)
                got.update(self._index[c.subject] for c in r.fact_conditions)
                for c in r.when:
                    if c.op == "finding":
                        got.update(reaches.get(c.subject, ()))
                changed |= len(got) != before
        self._behind = {f: tuple(sorted(ids)) for f, ids in reaches.items()}
        self._triage_multi = [r for r in self._multi if r.is_triage]
        self._cause_multi = [r for r in self._multi if not r.is_triage]
        self._triage_singles = [(name, i, ranks) for name, i, ranks, *_ in self._singles if ranks]
        self._cause_singles = {i: (name, base, positive, mask)
                               for name, i, _, weighs, base, positive, mask in self._singles if weighs}
        count = len(self._names)
        self._reading: list[list[int]] = [[] for _ in range(count)]  # fact -> cause rules it can decide
        self._into: list[list[int]] = [[] for _ in range(count)]  # fact -> cause rules scoring it when all unknown
        self._of_cause: dict[str, list[int]] = {}
        self._static: list[tuple[list[int], float]] = []
        self._always: list[int] = []  # rules no fact decides (never, in practice)
        for k, rule in enumerate(self._cause_multi):
            reads = {i for _, i, _ in rule.tests} | {i for f in rule.findings for i in reaches.get(f, ())}
            for i in reads:
                self._reading[i].append(k)
            if not reads:
                self._always.append(k)
            self._of_cause.setdefault(rule.target, []).append(k)
            unknown, value = self._cause_share(rule, {}, {}, frozenset(), frozenset(), frozenset(), {}, frozenset())
            self._static.append((unknown, value))
            for i in unknown:
                self._into[i].append(k)
        self._singles_of_cause: dict[str, list[int]] = {}
        for i, (_, _, positive, _) in self._cause_singles.items():
            for target, _, _ in positive:
                self._singles_of_cause.setdefault(target, []).append(i)
        self._base_diag: dict[int, float] = {}
        self._base_mask: dict[int, int] = {}
        for i in range(count):
            self._rescore(i, self._base_diag, self._base_mask, None, {}, frozenset(), frozenset(), frozenset(), {})
        self._base_key = {i: (-round(v, 9), i) for i, v in self._base_diag.items()}
        self._base_order = sorted(self._base_diag, key=self._base_key.__getitem__)

    def _cause_share(self, rule: _Open, facts, case, skipped, fired, derived, scores, listed,
                     strong_causes=frozenset(), lift=None) -> tuple[list[int], float]:
        """(its unknown facts, the share each gets) of one cause rule that waits on more than one thing."""
        if rule.rule_id in fired:
            return [], 0.0
        # its unknown facts, unless a known fact already decides it
        unknown: list[int] = []
        names = self._names
        for name, i, test in rule.tests:
            if name in facts:
                if not test(case):
                    return [], 0.0  # decided: it cannot fire
            elif name in skipped:
                return [], 0.0  # it waits on an answer that will not come
            elif i not in unknown:
                unknown.append(i)
        for f in rule.findings:
            if f not in derived:
                unknown.extend(i for i in self._finding_facts.get(f, ()) if names[i] not in facts
                               and names[i] not in skipped and i not in unknown)
        if not unknown:
            return [], 0.0
        weight, target = rule.weight, rule.target
        value = abs(weight) / len(unknown)
        if weight > 0 and target not in listed and (rule.strong or target in strong_causes) \
                and scores.get(target, 0.0) + weight >= self._thresholds[target]:
            # it could list a cause that is not listed yet (a cause needs a strong signal), with the
            # chained support it would wake
            value = 2 * (weight + (lift or {}).get(target, 0.0)) / len(unknown)
        return unknown, value

    def _rescore(self, i: int, diagnosis: dict, masks: dict, share, facts, skipped, listed, strong_causes,
                 scores, lift=None) -> None:
        """Fact i's diagnosis score and causes, summed in the order the rules come in (the same
        floating-point sum every time); ``share(k)``: rule k's share in this case (None: baseline)."""
        total, mask, scored = 0.0, 0, False
        for k in self._into[i]:
            unknown, value = self._static[k] if share is None else share(k)
            if i in unknown:
                total += value
                mask |= self._cause_multi[k].cause_bit
                scored = True
        single = self._cause_singles.get(i)
        if single is not None and single[0] not in facts and single[0] not in skipped:
            name, value, positive, bits = single
            for target, weight, strong in positive:
                if target not in listed and (strong or target in strong_causes) \
                        and scores.get(target, 0.0) + weight >= self._thresholds[target]:
                    value += weight + 2 * (lift or {}).get(target, 0.0)  # it could list a cause not listed yet
            total += value
            mask |= bits
            scored = True
        if scored:
            diagnosis[i] = total
            masks[i] = mask

    def _all_diagnosis(self, diagnosis: dict, masks: dict, facts, case, skipped, fired, derived, scores, listed,
                       strong_causes, lift) -> None:
        """Every fact's diagnosis score, rule by rule (each share added to the facts it waits on, in rule
        order, then the one-fact rules: the same sums as :meth:`_rescore`)."""
        for rule in self._cause_multi:
            unknown, value = self._cause_share(rule, facts, case, skipped, fired, derived, scores, listed,
                                               strong_causes, lift)
            for i in unknown:
                diagnosis[i] = diagnosis.get(i, 0.0) + value
                masks[i] = masks.get(i, 0) | rule.cause_bit
        thresholds = self._thresholds
        for i, (name, value, positive, bits) in self._cause_singles.items():
            if name in facts or name in skipped:
                continue
            for target, weight, strong in positive:
                if target not in listed and (strong or target in strong_causes) \
                        and scores.get(target, 0.0) + weight >= thresholds[target]:
                    value += weight + 2 * lift.get(target, 0.0)  # it could list a cause not listed yet
            diagnosis[i] = diagnosis.get(i, 0.0) + value
            masks[i] = masks.get(i, 0) | bits

    def plan(self, facts: dict[str, Any], case: dict, fired: set[str], conclusions: Conclusions,
             limit: int | None = None, skipped: frozenset[str] = frozenset(),
             only_causes: frozenset[str] | None = None) -> tuple[list[Question], list[SafetyQuestion]]:
        """The next questions, best first (at most ``limit``, else the planner's), and every open red-flag
        question (one that could raise the triage). ``skipped``: questions the patient left unanswered in an
        interview; they stay unknown for good, so a rule that needs one is decided (it cannot fire).
        ``only_causes``: when given, a diagnosis question is listed only if it bears on one of these causes
        (at a level that holds the programme: see :mod:`decision_core.policy.held_questions`)."""
        count = len(self._names)
        safety_max = [0.0] * count  # > 0 exactly when some triage rule waits on the fact
        safety_sum = [0.0] * count
        top_rank = [-1] * count  # the highest level a rule waiting on the fact would raise the triage to
        derived = conclusions.findings
        listed = {c.id for c in conclusions.causes}
        scores = conclusions.scores
        current = conclusions.triage_rank
        names = self._names
        finding_facts = self._finding_facts
        behind = self._behind
        strong_causes = conclusions.strong
        # the support a strong answer would wake in a cause that a chained finding feeds
        lift = {c: max(0.0, scores.get(c, 0.0)) for c in conclusions.fed if c not in listed}
        for rule_id, is_triage, weight, tests, findings, _, target, cause_bit, strong in self._triage_multi:
            if rule_id in fired or weight <= current:
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
                    if f in derived:
                        continue
                    if not any(names[i] not in facts and names[i] not in skipped for i in behind[f]):
                        unknown = []  # every fact behind it is known and it was not concluded: it never will be
                        break
                    unknown.extend(i for i in finding_facts.get(f, ()) if names[i] not in facts
                                   and names[i] not in skipped and i not in unknown)
            if not unknown:
                continue
            value = (weight - current) / len(unknown)
            for i in unknown:
                if value > safety_max[i]:
                    safety_max[i] = value
                safety_sum[i] += value
                if weight > top_rank[i]:
                    top_rank[i] = weight
        for name, i, ranks in self._triage_singles:
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
        # diagnosis: the baseline, but for the facts the answered part of the case reaches
        index = self._index
        active = {index[n] for n in facts if n in index} | {index[n] for n in skipped if n in index}
        evidenced = set(scores) | listed | set(strong_causes)
        diagnosis: dict[int, float] = {}
        masks: dict[int, int] = {}
        if len(active) * 4 > count:  # most of a small catalogue is reached: every rule, every fact
            redo: set[int] | range = range(count)
            self._all_diagnosis(diagnosis, masks, facts, case, skipped, fired, derived, scores, listed, strong_causes,
                                lift)
        else:
            touched = set(self._always)
            for i in active:
                touched.update(self._reading[i])
            for cause in evidenced:
                touched.update(self._of_cause.get(cause, ()))
            redo = set(active)
            for k in touched:
                redo.update(self._static[k][0])
            for cause in evidenced:
                redo.update(self._singles_of_cause.get(cause, ()))
            shares: dict[int, tuple[list[int], float]] = {}

            def share(k: int) -> tuple[list[int], float]:
                if k not in touched:
                    return self._static[k]
                got = shares.get(k)
                if got is None:
                    got = shares[k] = self._cause_share(self._cause_multi[k], facts, case, skipped, fired, derived,
                                                        scores, listed, strong_causes, lift)
                return got

            for i in redo:
                self._rescore(i, diagnosis, masks, share, facts, skipped, listed, strong_causes, scores, lift)
        # Sums of shares may differ in the last bit with the order they were added in: rounded for ranking.
        safe = sorted((i for i in range(count) if safety_max[i] > 0.0),
                      key=lambda i: (-safety_max[i], -round(safety_sum[i], 9), i))
        limit = self.limit if limit is None else limit
        base_key = self._base_key
        diag = sorted(diagnosis, key=lambda i: (-round(diagnosis[i], 9), i))

        def score(i: int) -> float | None:
            return diagnosis.get(i) if i in redo else self._base_diag.get(i)

        def mask(i: int) -> int:
            return masks.get(i, 0) if i in redo else self._base_mask.get(i, 0)

        if not isinstance(redo, range):  # the rest keep their baseline order
            merged = heapq.merge((i for i in self._base_order if i not in redo), diag,
                                 key=lambda i: (-round(diagnosis[i], 9), i) if i in redo else base_key[i])
            diag = merged
        if only_causes is not None:
            wanted = self.cause_mask(only_causes)
            diag = (i for i in diag if mask(i) & wanted)
        diag = list(islice(diag, 2 * limit))  # interleaving takes at most limit, passing at most limit taken

        questions = [self._question(i, safety_max[i], score(i), top_rank[i], mask(i))
                     for i in self._interleave(safe, diag, limit)]
        level_of = self._level_of_rank
        open_safety = [SafetyQuestion(names[i], self._asked[i]["question"], level_of[top_rank[i]]) for i in safe]
        return questions, open_safety

    def cause_mask(self, causes) -> int:
        """The bits of these causes in a question's "why" mask."""
        return sum(1 << bit for bit, cid in enumerate(self._cause_ids) if cid in causes)

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
        text, codes = self._why_of(top_rank, causes_mask)
        return Question(asked["fact"], asked["question"], asked["label"], asked["type"],
                        "safety" if safety else "diagnosis", text,
                        round(safety * 10 + (diagnosis or 0.0), 3), [dict(p) for p in codes])

    def _why_of(self, top_rank: int, causes_mask: int) -> tuple[str, tuple[dict, ...]]:
        """Why a question is worth asking: its English text (the JSON's) and its phrases."""
        key = (top_rank, causes_mask)
        got = self._why.get(key)
        if got is None:
            codes = []
            if top_rank >= 0:
                codes.append(phrases.raises_triage(self._level_of_rank[top_rank]))
            if causes_mask:
                codes.append(phrases.confirms(c for bit, c in enumerate(self._cause_ids) if causes_mask >> bit & 1))
            got = phrases.english_texts(codes), tuple(codes)
            if len(self._why) < 65536:  # bounded: at most one entry per (level, set of causes) seen
                self._why[key] = got
        return got
