"""durable-rules' limits, counted from the compiled rules (:mod:`decision_core.engine.shards` plans the
case's shards without importing durable-rules, so this check runs wherever the package does)."""
from __future__ import annotations

from decision_core.catalogue.model import Catalogue
from decision_core.engine.compiler import CompiledRules
from decision_core.engine.shards import ShardError, distinct_case_tests, plan_shards
from decision_core.lint.issues import ERROR, Issue


def engine_limit_issues(catalogue: Catalogue, stats: dict) -> list[Issue]:
    """An issue when no shard plan can run the catalogue; its counts go in ``stats``."""
    compiled = CompiledRules(catalogue)
    stats["case_properties"] = compiled.case_width
    stats["distinct_case_tests"] = distinct_case_tests(compiled)
    try:
        plan = plan_shards(compiled)
    except ShardError as exc:
        stats["case_shards"] = None
        return [Issue(ERROR, "engine_limit", str(exc))]
    # past durable-rules' limits (512 tests under a node, 254 properties a fact) the case goes in shards
    stats["case_shards"] = len(plan.shard_keys) or 1
    return []
