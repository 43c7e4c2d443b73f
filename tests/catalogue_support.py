"""Catalogues for tests, written into a temporary folder."""
from __future__ import annotations

import shutil
from pathlib import Path

from decision_core.engine.compiler import MAX_TESTS_PER_RULESET_NODE

MINI = Path(__file__).resolve().parent / "fixtures" / "mini"
MANY = MAX_TESTS_PER_RULESET_NODE + 5  # more thresholds on one fact than durable-rules holds under one node


def mini_with_many_thresholds(folder: Path) -> Path:
    """The mini catalogue plus a cause with ``MANY`` rules, ``sitting >= 0.00`` to ``sitting >= 5.04``: more
    distinct tests on one fact than one durable-rules node holds, all passing at once for a high value."""
    shutil.copytree(MINI, folder)
    rules = "".join(f"""
      - id: many.r{i}
        when: [sitting >= {i / 100}]
        then: cause many_cause
        strength: supporting
        because: Many tests.
        sources: ["000"]""" for i in range(MANY))
    (folder / "causes" / "many.yaml").write_text(
        "ruleset: many\nversion: 1.0.0\nkind: cause\ntitle: Many\n"
        "cause: {id: many_cause, name: Many, explanation: Many., sources: ['000']}\nrules:" + rules, encoding="utf-8")
    return folder
