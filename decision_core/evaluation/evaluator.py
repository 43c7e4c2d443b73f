"""One evaluation, end to end: validate, encode, run the engine in two strata,
score, apply the triage policy, plan the next questions, explain."""
from __future__ import annotations

import logging
from typing import Any

from decision_core.catalogue.loading import Catalogue
from decision_core.engine.compiler import CompiledRules
from decision_core.engine.engines import Engine, create_engine
from decision_core.intake import Intake
from decision_core.policy.held_questions import HeldLevelQuestions
from decision_core.evaluation.prescription import ProgrammeSelector
from decision_core.evaluation.programme import build_programme
from decision_core.evaluation.questions import QuestionPlanner
from decision_core.policy.safety import SafetyPolicy
from decision_core.result.model import AppliedPolicy, Cause, Finding, Result, SafetyQuestion, Triage, UsedRuleset
from decision_core.evaluation.scoring import conclude

log = logging.getLogger(__name__)


class Evaluator:
    """Evaluates facts against one catalogue with one engine. Thread-safe: it
    holds no per-evaluation state (the durable engine serialises its sessions)."""

    def __init__(self, catalogue: Catalogue, engine: str | None = None, compiled: CompiledRules | None = None):
        """``compiled``: the catalogue's rules, already compiled (the registry's), to share."""
        self.catalogue = catalogue
        self.intake = Intake(catalogue)
        self.compiled = compiled if compiled is not None and compiled.catalogue is catalogue else CompiledRules(catalogue)
        self.engine: Engine = create_engine(self.compiled, engine)
        self.planner = QuestionPlanner(self.compiled)
        self.policy = SafetyPolicy(self.compiled)
        self.held = HeldLevelQuestions(self.compiled, self.policy)
        self._red_flag_levels = frozenset(lv.id for lv in catalogue.levels if lv.red_flag)
        self.selector = ProgrammeSelector(catalogue)
        self._rulesets = tuple(UsedRuleset(r.id, r.version, r.kind, r.origin) for r in catalogue.rulesets)

    @property
    def engine_name(self) -> str:
        return self.engine.name

    def validate(self, raw: Any) -> dict[str, Any]:
        return self.intake.validate(raw)

    def evaluate(self, raw_facts: Any) -> Result:
        facts = self.intake.validate(raw_facts)
        return self.evaluate_valid(facts)

    def evaluate_valid(self, facts: dict[str, Any], *, question_limit: int | None = None,
                       skipped: frozenset[str] = frozenset()) -> Result:
        """``question_limit``: how many next questions to list (default: the planner's; an interview asks for
        all); ``skipped``: questions an interview's patient left unanswered (never asked again)."""
        compiled = self.compiled
        case = compiled.encode(facts)
        with self.engine.session(case) as session:
            fired1 = session.run_stratum1()
            conclusions = conclude(compiled, facts, fired1)
            fired2 = session.run_stratum2(conclusions.stratum2_input())
        verdict = self.policy.judge(case, frozenset(c.id for c in conclusions.causes), conclusions.triage_rank)
        programme = build_programme(compiled, facts, conclusions, fired2, verdict)
        only_causes = None
        if self.held.holds(conclusions.triage_rank):  # worth asking only what could change the held handling
            only_causes = self.held.causes_that_matter(conclusions.triage_rank,
                                                       {r.id for r in programme.recommendations})
        questions, open_safety = self.planner.plan(facts, case, set(fired1), conclusions,
                                                    question_limit, skipped, only_causes)
        red_flags, assessment = self._split(open_safety)
        on_hold = bool(verdict.on_hold)
        level = self.catalogue.level(conclusions.triage_level)
        # Unknown is not "no": while a red-flag question that could raise the level is open, say so.
        advice = level.advice_while_unconfirmed if open_safety and level.advice_while_unconfirmed else level.advice
        triage = Triage(level=level.id, name=level.name, advice=advice.strip(), reasons=conclusions.triage_reasons,
                        confirmed=not open_safety)
        causes = [
            Cause(c.id, c.name, rank, c.score, c.confidence, c.why, None if on_hold or not c.fix else c.fix,
                  c.evidence, sorted(c.sources), c.citations)
            for rank, c in enumerate(conclusions.causes, start=1)
        ]
        result = Result(
            triage=triage,
            causes=causes,
            recommendations=programme.recommendations,
            withheld=programme.withheld,
            avoid=programme.avoid,
            next_questions=questions,
            open_safety_questions=open_safety,
            policy=[AppliedPolicy(line.id, line.says.strip(), list(line.sources), line.hold_programme)
                    for line in verdict.active],
            programme_on_hold=on_hold,
            findings=[Finding(fid, evs) for fid, evs in conclusions.findings.items()],
            facts=dict(facts),
            rulesets=list(self._rulesets),
            fired_rules=compiled.sort_fired(fired1 + fired2),
            engine=self.engine.name,
            open_red_flags=red_flags,
            open_assessment_questions=assessment,
        )
        # the patient's programme: a choice among the allowed recommendations (the policy is not applied again)
        result.programme = self.selector.select(result)
        return result

    def _split(self, open_safety: list[SafetyQuestion]) -> tuple[list[SafetyQuestion], list[SafetyQuestion]]:
        """(red flags, questions for the assessment): a red flag could raise the triage to a level the triage
        ruleset declares a red-flag level. Copies, so each list's questions are its own (a translation walks
        each once)."""
        red, other = [], []
        for q in open_safety:
            (red if q.could_raise_to in self._red_flag_levels else other).append(
                SafetyQuestion(q.fact, q.question, q.could_raise_to))
        return red, other
