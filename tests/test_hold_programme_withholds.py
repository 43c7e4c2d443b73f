"""A policy line that holds the programme withholds every exercise, whatever else it says.

The schema lets a line ``hold_programme: true`` without withholding anything (a plugin's line, say).
Today such a line leaves the exercises in ``recommendations`` while ``programme_on_hold`` is true: the
programme's phases are empty (the selector keeps them out), but every reader that lists the
recommendations (the CDS card's detail, for one) relies on the reports' own by-kind filter to keep them
out. Until the core withholds them, the reports keep that double check (issue 21 §2, view helper's note).
"""
from __future__ import annotations

import shutil

import pytest

from decision_core.catalogue.loading import BUILTIN_ORIGIN, builtin_rulesets_dir, load_catalogue
from decision_core.evaluation.evaluator import Evaluator

HOLDING_LINE = """lines:
  - id: policy.hold_until_seen
    when:
      - triage is at least see_professional
    hold_programme: true
    says: >-
      Held until a professional has seen the patient.
    sources: [policy]

"""


@pytest.fixture(scope="module")
def holding_catalogue(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rulesets") / "rulesets"
    shutil.copytree(builtin_rulesets_dir(), folder, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    policy = folder / "policy.yaml"
    policy.write_text(policy.read_text().replace("lines:\n", HOLDING_LINE, 1))
    return load_catalogue([(folder, BUILTIN_ORIGIN)])


@pytest.mark.xfail(strict=True, reason="the core does not yet withhold exercises for a line that only holds")
@pytest.mark.parametrize("engine", ["durable", "plain"])
def test_a_line_that_only_holds_the_programme_still_withholds_every_exercise(holding_catalogue, engine):
    result = Evaluator(holding_catalogue, engine).evaluate(
        {"numbness_or_tingling": True, "glute_bridge_hamstring_cramp": True, "sitting_hours_per_day": 9})
    assert result.triage.level == "see_professional" and result.programme_on_hold
    assert not [r.id for r in result.recommendations if r.kind == "exercise"]
