"""Choosing the patient's programme from the recommendations the rules and the safety policy allowed.

The policy has run before (``Result.recommendations`` holds only allowed items) and is never applied
again here: this module only chooses among those items, by the programme ruleset's data
(:mod:`decision_core.catalogue.programme_rules`):

1. each item goes to a list by its kind and tags: the exercises (into phases), the everyday list
   (limited), the items always kept (referrals, rest, what the policy leads with, what a triage rule
   recommended), or none;
2. an item that does not fit the patient's answers (a fit rule; an unknown fact never fits), an
   exercise while the programme is on hold, and an exercise without a full dose are not chosen;
3. the rest are chosen phase by phase (the start first), and in each phase cause by cause, most likely
   cause first: one item for each cause in a first round, a second in the next (``per_cause``, in each
   phase), never two items with the same job, within the limits; an item counts for every listed cause
   it serves;
4. the doses: the source's figures, then the starting dose table's for what they leave out.

Every allowed item that is not chosen is an alternative, with a code that says why. ``select`` is
fast (it runs on every evaluation): the fit tests and the doses are worked out once per catalogue.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

import orjson

from decision_core.engine.compiler import NO, YES, fact_test, item_key
from decision_core.catalogue.dose import Dose, dict_json, with_defaults
from decision_core.result.programme import Alternative, Phase, Programme, ProgrammeItem

# Why an allowed item is not in the programme (besides the fit rules' own codes).
SAME_JOB = "same_job"  # a chosen item does the same job
LIMIT = "limit"  # the list was full, or its causes had their items
ON_HOLD = "on_hold"  # the safety policy holds the home programme: no exercise
NO_DOSE = "no_dose"  # an exercise that neither its sources nor the starting doses give a full dose
NEEDS_START = "needs_start"  # a later phase's item, with nothing chosen to start with
NOT_IN_PROGRAMME = "not_in_programme"  # a kind the programme ruleset puts in no list
SWAPPED_OUT = "swapped_out"  # the practitioner swapped another item in for it
WHY_CODES = (SAME_JOB, LIMIT, ON_HOLD, NO_DOSE, NEEDS_START, NOT_IN_PROGRAMME, SWAPPED_OUT)

EXERCISES, EVERYDAY, ALWAYS = "exercises", "everyday", "always"


class SwapError(ValueError):
    """A swap that cannot be made; the message says which item and why."""


@dataclass
class _Candidate:
    id: str
    kind: str
    order: int  # its place in the recommendations
    causes: frozenset[str]  # the listed causes it serves
    primary: str | None  # the cause it was written for: the first of its declared for_causes
    phase: int
    jobs: frozenset[str]
    dose: dict[str, Any]  # the dose to give, in its dictionary form (shared: copied into a result)
    full: bool  # a full dose for an exercise
    starting: bool
    dose_json: bytes | None = None  # the same as JSON that gives it back as it is (a faster copy), if any


@dataclass(frozen=True)
class _Static:
    """What the selection needs of an item that no evaluation changes, worked out once per item."""

    tags: frozenset[str]
    section: str | None  # its list, as a catalogue item (a recommendation the policy leads with or a
    #                      triage rule recommended is always kept besides)
    phase: int
    jobs: frozenset[str]
    primary: str | None
    fits: tuple[int, ...]  # the fit rules that apply to it (by index)
    dose: dict[str, Any] | None  # an exercise's dose with the starting doses; None: as the result gives it
    full: bool
    starting: bool
    dose_json: bytes | None = None  # dose as JSON (dose.dict_json), for each result's own copy


@dataclass
class _Choice:
    exercises: list[_Candidate] = field(default_factory=list)
    everyday: list[_Candidate] = field(default_factory=list)
    why: dict[str, str] = field(default_factory=dict)  # id -> code, for the items not chosen


class ProgrammeSelector:
    """The programme rules of one catalogue, compiled once; ``select`` chooses a result's programme."""

    def __init__(self, catalogue):
        self.catalogue = catalogue
        self.rules = catalogue.programme
        if self.rules is None:
            return
        s = self.rules.settings
        self._fits = tuple((rule, frozenset(rule.tags), tuple(fact_test(c) for c in rule.all),
                            tuple(fact_test(c) for c in rule.any)) for rule in self.rules.fit)
        words: dict[str, set[str]] = {}
        for rule in self.rules.fit:
            for c in rule.conditions:
                if c.op == "includes":
                    words.setdefault(c.subject, set()).add(str(c.value))
        self._words = {k: tuple(sorted(v)) for k, v in words.items()}
        read = {c.subject for rule in self.rules.fit for c in rule.conditions}
        self._types = {name: catalogue.facts[name].type for name in read if name in catalogue.facts}
        self._later_phases = tuple((i, frozenset(p.tags)) for i, p in enumerate(s.phases) if i)
        self._static = {item.id: self._item_static(item, item.policy_tags, item.for_causes, item.dose)
                        for item in catalogue.recommendations.values()}

    def _item_static(self, item, tags: frozenset[str], declared, dose: Dose) -> _Static:
        section = self.section(item, tags)
        full, starting, dose_dict = True, False, None
        if section == EXERCISES or item.kind == "exercise":  # a warm-up in the everyday list is dosed too
            dose, starting = self._dose(item.id, tags, dose)
            full, dose_dict = not dose.missing("exercise"), dose.to_dict()
        return _Static(tags, section, self.phase(tags), tags & self.rules.jobs, declared[0] if declared else None,
                       tuple(i for i, fit in enumerate(self._fits) if tags & fit[1]), dose_dict, full, starting,
                       None if dose_dict is None else dict_json(dose_dict))

    def _static_of(self, rec) -> _Static:
        known = self._static.get(rec.id)
        if known is not None:
            return known
        tags = frozenset(rec.tags) | {rec.kind}  # an item this catalogue does not know: as the result says
        return self._item_static(rec, tags, rec.for_causes, rec.dose_value())

    # ---------------------------------------------------------------- what each item is

    def section(self, rec, tags: frozenset[str]) -> str | None:
        """Which list an item goes to by its kind and tags: EXERCISES, EVERYDAY, ALWAYS, or None (no list).
        A result's recommendation that the policy leads with or a triage rule recommended is ALWAYS kept
        unless it is an exercise (a catalogue item has neither, so it goes by its kind and tags alone)."""
        s = self.rules.settings
        habit = bool(tags.intersection(s.everyday_tags))
        if rec.kind in s.exercise_kinds and not habit:
            return EXERCISES
        if getattr(rec, "leads", False) or getattr(rec, "for_triage", None) or tags.intersection(s.always_tags):
            return ALWAYS
        if rec.kind in s.everyday_kinds or habit:
            return EVERYDAY
        return None

    def phase(self, tags: frozenset[str]) -> int:
        for index, claimed in self._later_phases:
            if tags & claimed:
                return index
        return 0

    def misfit(self, fits: tuple[int, ...], case: dict[str, Any], confirmed: bool,
               memo: dict[int, bool] | None = None) -> str | None:
        """The code of the first of the fit rules ``fits`` (indices) the patient's answers fail, or None
        when they all hold; ``memo`` keeps each rule's answer for the rest of one selection."""
        memo = {} if memo is None else memo
        for index in fits:
            holds = memo.get(index)
            if holds is None:
                rule, _, all_tests, any_tests = self._fits[index]
                holds = memo[index] = all(t(case) for t in all_tests) and (
                    not any_tests or any(t(case) for t in any_tests)) and (confirmed or not rule.triage_confirmed)
            if not holds:
                return self._fits[index][0].why
        return None

    def _dose(self, item_id: str, tags: frozenset[str], dose: Dose) -> tuple[Dose, bool]:
        """The item's dose with the starting doses filling what its sources leave out; and whether any was."""
        for entry in starting_dose_entries(self.rules, item_id, tags):
            dose = with_defaults(dose, entry.dose)
        return dose, "default" in dose.basis.values()

    def exercise_dose(self, item) -> tuple[Dose, bool]:
        """A catalogue exercise's dose with the starting doses filling what its sources leave out (a
        starting dose is for exercises only); and whether any figure is a starting dose's."""
        return self._dose(item.id, item.policy_tags, item.dose)

    def _encode(self, facts: Mapping[str, Any]) -> dict[str, Any]:
        """The facts the fit rules read, encoded as the rules' conditions read them (compiler.encode)."""
        case: dict[str, Any] = {}
        for name, kind in self._types.items():
            value = facts.get(name)
            if value is None:
                continue  # unknown: no key, so no condition on it holds
            if kind == "bool":
                case[name] = YES if value else NO
            elif kind in ("choices", "list"):
                present = set(value)
                for word in self._words.get(name, ()):
                    case[item_key(name, word)] = YES if word in present else NO
            else:
                case[name] = value
        return case

    # ---------------------------------------------------------------- choosing

    def select(self, result, swaps: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> Programme | None:
        """The programme of ``result`` (None when the catalogue has no programme ruleset).

        ``swaps``: a practitioner's swaps, ``{chosen id: alternative id}`` (or pairs): each alternative
        takes the place of the chosen item (in its own phase or list) and the chosen one becomes an
        alternative (``swapped_out``); the rest of the choice stays as it was. A practitioner may swap in
        any allowed item, even one the fit rules left out, but no exercise while the programme is on hold
        and none without a full dose. SwapError says which swap cannot be made and why."""
        if self.rules is None:
            return None
        s = self.rules.settings
        recs = result.recommendations
        choice, candidates = self._choose(result)
        for out_id, in_id in (swaps.items() if isinstance(swaps, Mapping) else swaps):
            self._swap(result, choice, candidates, out_id, in_id)
        phases = []
        for index, phase in enumerate(s.phases):
            items = sorted((c for c in choice.exercises if c.phase == index), key=lambda c: c.order)
            if items and not result.programme_on_hold:
                phases.append(Phase(phase.id, phase.name, [_item(c) for c in items]))
        chosen = {c.id for c in choice.exercises} | {c.id for c in choice.everyday}
        return Programme(
            on_hold=result.programme_on_hold, phases=phases,
            lifestyle=[_item(c) for c in sorted(choice.everyday, key=lambda c: c.order)],
            weeks=s.weeks, review_in_weeks=s.review_in_weeks,
            alternatives=[Alternative(r.id, choice.why.get(r.id, LIMIT)) for r in recs if r.id not in chosen])

    def _choose(self, result) -> tuple[_Choice, dict[str, tuple[str | None, _Candidate]]]:
        s = self.rules.settings
        listed = [c.id for c in result.causes]
        listed_set = frozenset(listed)
        case = self._encode(result.facts)
        confirmed = not result.open_safety_questions
        choice = _Choice()
        lists: dict[str, list[_Candidate]] = {EXERCISES: [], EVERYDAY: []}
        candidates: dict[str, tuple[str | None, _Candidate]] = {}
        memo: dict[int, bool] = {}
        for order, rec in enumerate(result.recommendations):
            st = self._static_of(rec)
            section = st.section
            if section != EXERCISES and (rec.leads or rec.for_triage):
                section = ALWAYS
            cand = _Candidate(rec.id, rec.kind, order, listed_set.intersection(rec.for_causes), st.primary, st.phase,
                              st.jobs, st.dose if st.dose is not None else rec.dose, st.full, st.starting,
                              st.dose_json)
            candidates[rec.id] = (section, cand)
            if section is None:
                choice.why[rec.id] = NOT_IN_PROGRAMME
            elif result.programme_on_hold and rec.kind in s.exercise_kinds:  # whatever list it would go to
                choice.why[rec.id] = ON_HOLD
            elif section == ALWAYS:
                choice.everyday.append(cand)
            elif (why := self.misfit(st.fits, case, confirmed, memo)) is not None:
                choice.why[rec.id] = why
            elif section == EXERCISES and not cand.full:
                choice.why[rec.id] = NO_DOSE
            else:
                lists[section].append(cand)
        # no two chosen items do the same job, in whichever list (what is always kept first)
        jobs: set[str] = {job for c in choice.everyday for job in c.jobs}
        choice.exercises = _by_cause(lists[EXERCISES], listed, s.max_exercises, s.per_cause, jobs, choice.why)
        if choice.exercises and all(c.phase for c in choice.exercises):
            for c in choice.exercises:  # "when that is easy" with nothing to start with
                choice.why[c.id] = NEEDS_START
                jobs.difference_update(c.jobs)
            choice.exercises = []
        choice.everyday += _by_cause(lists[EVERYDAY], listed, s.max_everyday, s.per_cause, jobs, choice.why)
        return choice, candidates

    def _swap(self, result, choice: _Choice, candidates, out_id: str, in_id: str) -> None:
        chosen = {c.id: c for c in choice.exercises + choice.everyday}
        if out_id not in chosen:
            raise SwapError(f"'{out_id}' is not in the programme, so it cannot be swapped out "
                            f"(the programme has: {', '.join(chosen) or 'nothing'})")
        if in_id not in candidates:
            raise SwapError(f"'{in_id}' is not among the allowed recommendations of this result, so it cannot be "
                            "swapped in (a withheld item stays withheld)")
        if candidates[out_id][0] == ALWAYS:
            raise SwapError(f"'{out_id}' is always kept (a referral, rest, or what the safety policy puts first)")
        if in_id in chosen:
            raise SwapError(f"'{in_id}' is already in the programme")
        section, cand = candidates[in_id]
        if section is None:
            raise SwapError(f"'{in_id}' is of a kind the programme does not list")
        if result.programme_on_hold and cand.kind in self.rules.settings.exercise_kinds:
            raise SwapError(f"'{in_id}' is an exercise, and the safety policy holds the home programme")
        if section == EXERCISES and not cand.full:
            raise SwapError(f"'{in_id}' has no full dose (neither its sources nor the starting doses give one)")
        choice.exercises = [c for c in choice.exercises if c.id != out_id]
        choice.everyday = [c for c in choice.everyday if c.id != out_id]
        (choice.exercises if section == EXERCISES else choice.everyday).append(cand)
        choice.why.pop(in_id, None)
        choice.why[out_id] = SWAPPED_OUT


def _by_cause(cands: list[_Candidate], listed: list[str], limit: int, per_cause: int, jobs: set[str],
              why: dict[str, str]) -> list[_Candidate]:
    """Up to ``limit`` candidates, phase by phase (the start first, then what comes when that is easy, so
    a progression never takes the place of a first exercise). In each phase, round by round: in each round
    every listed cause (most likely first) that has fewer items in the phase than the round's number gets
    its best remaining one, never an item for a job already in ``jobs``; then items serving no listed
    cause. A cause's best item is one written for it (its first for_causes) before one written for
    another, then the recommendations' order."""
    chosen: list[_Candidate] = []
    taken_ids: set[str] = set()

    def take(c: _Candidate, count: dict[str, int]) -> bool:
        if c.jobs & jobs:
            why[c.id] = SAME_JOB
            return False
        chosen.append(c)
        taken_ids.add(c.id)
        jobs.update(c.jobs)
        for cause in c.causes:
            count[cause] += 1
        return True

    for phase in sorted({c.phase for c in cands}):
        here = [c for c in cands if c.phase == phase]
        count = dict.fromkeys(listed, 0)
        by_cause = {cause: sorted((c for c in here if cause in c.causes), key=lambda c: (c.primary != cause, c.order))
                    for cause in listed}
        for round_ in range(per_cause):
            for cause in listed:
                if count[cause] > round_:
                    continue
                for c in by_cause[cause]:
                    if len(chosen) >= limit:
                        break
                    if c.id not in taken_ids and c.id not in why and take(c, count):
                        break
        for c in here:
            if len(chosen) < limit and not c.causes and c.id not in taken_ids and c.id not in why:
                take(c, count)
    for c in cands:
        if c.id not in taken_ids:
            why.setdefault(c.id, LIMIT)
    return chosen


def starting_dose_entries(rules, item_id: str, tags) -> list:
    """The starting-dose entries that apply to an item, in order: an entry for the item itself is the whole
    of its starting dose; else the entries for its tags (the selection and lint both read them so)."""
    return [e for e in rules.doses if e.item == item_id] or \
        [e for e in rules.doses if e.tag is not None and e.tag in tags]


def _item(c: _Candidate) -> ProgrammeItem:
    return ProgrammeItem(c.id, _copy(c.dose) if c.dose_json is None else orjson.loads(c.dose_json), c.starting)


def _copy(value):
    """A copy of a dose's dictionary form, so that a result shares nothing with the catalogue or another
    result (three times faster than copy.deepcopy on these small dicts)."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def select_programme(result, catalogue, swaps: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> Programme | None:
    """``result``'s programme, chosen again by ``catalogue``'s programme rules, with a practitioner's swaps.

    For reports: ``select_programme(result, catalogue, {"glute_bridge": "clamshell"})`` puts the
    alternative ``clamshell`` in the place of the chosen ``glute_bridge`` (see ProgrammeSelector.select);
    without swaps it gives the programme the evaluation gave (also for a result saved before results had
    one). It reads only the result (its recommendations, causes, facts, open safety questions and whether
    the programme is on hold) and the catalogue's programme rules; the policy is not applied again."""
    return ProgrammeSelector(catalogue).select(result, swaps)


__all__ = ["ProgrammeSelector", "select_programme", "SwapError", "WHY_CODES", "SAME_JOB", "LIMIT", "ON_HOLD",
           "NO_DOSE", "NEEDS_START", "NOT_IN_PROGRAMME", "SWAPPED_OUT"]
