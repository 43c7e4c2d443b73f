"""One evaluation, end to end: validate, encode, run the engine in two strata,
score, apply the triage policy, plan the next questions, explain."""
from __future__ import annotations

import logging
from typing import Any

from .catalogue import Catalogue
from .compiler import CompiledRules
from .engines import Engine, create_engine
from .intake import Intake
from .programme import build_programme
from .questions import QuestionPlanner
from .result import Result
from .scoring import Conclusions, conclude

log = logging.getLogger(__name__)


class Evaluator:
    """Evaluates facts against one catalogue with one engine. Thread-safe: it
    holds no per-evaluation state (the durable engine serialises its sessions)."""

    def __init__(self, catalogue: Catalogue, engine: str | None = None):
        self.catalogue = catalogue
        self.intake = Intake(catalogue)
        self.compiled = CompiledRules(catalogue)
        self.engine: Engine = create_engine(self.compiled, engine)
        self.planner = QuestionPlanner(self.compiled)
        self._rulesets = [
            {"id": r.id, "version": r.version, "kind": r.kind, "plugin": r.origin} for r in catalogue.rulesets
        ]

    @property
    def engine_name(self) -> str:
        return self.engine.name

    def validate(self, raw: Any) -> dict[str, Any]:
        return self.intake.validate(raw)

    def evaluate(self, raw_facts: Any) -> Result:
        facts = self.intake.validate(raw_facts)
        return self.evaluate_valid(facts)

    def evaluate_valid(self, facts: dict[str, Any]) -> Result:
        compiled = self.compiled
        case = compiled.encode(facts)
        holder: list[Conclusions] = []

        def between(fired1: list[str]):
            holder.append(conclude(compiled, facts, fired1))
            return holder[0].stratum2_input()

        firings = self.engine.run(case, between)
        conclusions = holder[0]
        programme = build_programme(compiled, facts, conclusions, firings.stratum2)
        fired1 = set(firings.stratum1)
        questions = self.planner.plan(facts, case, fired1, conclusions)
        level = self.catalogue.level(conclusions.triage_level)
        triage = {
            "level": level.id,
            "name": level.name,
            "advice": level.advice,
            "reasons": [dict(ev, level=lv) for lv, ev in conclusions.triage_reasons],
        }
        causes = []
        for rank, c in enumerate(conclusions.causes, start=1):
            causes.append({
                "id": c.id,
                "name": c.name,
                "rank": rank,
                "score": c.score,
                "confidence": c.confidence,
                "explanation": c.explanation,
                "evidence": c.evidence,
                "sources": sorted(c.sources),
            })
        findings = [{"id": fid, "evidence": evs} for fid, evs in conclusions.findings.items()]
        return Result(
            triage=triage,
            causes=causes,
            recommendations=programme.recommendations,
            withheld=programme.withheld,
            avoid=programme.avoid,
            next_questions=questions,
            findings=findings,
            facts=dict(facts),
            rulesets=[dict(r) for r in self._rulesets],
            fired_rules=compiled.sort_fired(firings.stratum1 + firings.stratum2),
            engine=self.engine.name,
        )
