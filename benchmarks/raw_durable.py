"""The baseline of benchmarks/bench_core.py: the same compiled rules on stock durable-rules with
trivial actions and nothing of ours around them, and what our durable engine posts for a case,
so that our total can be set against the raw cost of the same work."""
from __future__ import annotations

import time


class RawDurable:
    """The compiled rules on durable-rules with nothing of ours around them."""

    def __init__(self, compiled):
        from durable import engine as dr  # the benchmark's baseline, outside the decision core

        from decision_core.engine.durable import rule_groups, translate

        groups = rule_groups(compiled)
        definition = translate(compiled, groups)
        self.sid = None
        self.findings: set[str] = set()
        for index, group in enumerate(groups):
            findings = [r.then.target for r in group
                        if r.then.kind == "finding" and r.then.target in compiled.used_findings]
            definition[f"g{index}"]["run"] = self._chain(findings) if findings else _nothing
        definition["catch_all"]["run"] = _nothing

        class Host(dr.Host):  # no self-re-arming background threads, as in the engine
            def _run(self):
                self._d_timer = self._t_timer = None

        self.name = "raw_bench"
        self.host = Host({self.name: definition})
        self.host.get_ruleset(self.name)
        self.next_sid = 0

    def _chain(self, findings):
        def action(c):  # the least a finding rule must do for chaining: assert each finding once
            for finding in findings:
                if finding not in self.findings:
                    self.findings.add(finding)
                    c.assert_fact({"t": "finding", "id": finding, "sid": self.sid})
        return action

    def run(self, posted):
        case, stratum2 = posted
        self.next_sid += 1
        self.sid = sid = f"raw{self.next_sid}"
        self.findings = set()
        try:
            self.host.assert_fact(self.name, dict(case, t="case", sid=sid))
            if stratum2:
                self.host.assert_facts(self.name, [dict(f, sid=sid) for f in stratum2])
        finally:
            self.host.delete_state(self.name, sid)


def _nothing(c):
    return None


def what_durable_is_sent(evaluator, facts) -> tuple[dict, list[dict]]:
    """The encoded case and the stratum-2 facts our durable engine posts for these facts."""
    from decision_core.engine.durable import _parseable

    engine = evaluator.engine
    compiled = evaluator.compiled
    result = evaluator.evaluate(facts)
    case = _parseable(compiled.encode(evaluator.validate(facts)))
    listed = {c.id for c in result.causes}
    stratum2 = [{"t": "conclusion", "cause": c} for c in sorted(listed & compiled.used_causes)]
    rank = evaluator.catalogue.level(result.triage_level).rank
    if rank in engine._triage_ranks_read:
        stratum2.append({"t": "triage", "rank": rank})
    return case, stratum2


def stage_raw(raw, posted, repeats: int = 5) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter_ns()
        for post in posted:
            raw.run(post)
        best = min(best, time.perf_counter_ns() - start)
    return best / len(posted) / 1000
