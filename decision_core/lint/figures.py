"""Lint: every exercise has a picture (issue 21 §4). An exercise without a ``figure:`` (poses, or a plugin's
SVG file) is shown in words only; the handout, the page and the FHIR record show the others' start and
end positions. A warning, so that a plugin still loads without one."""
from __future__ import annotations

from decision_core.lint.issues import WARNING, Issue


def figure_issues(catalogue, target_ids: set[str]) -> list[Issue]:
    files = {r.id: r.path for r in catalogue.rulesets}
    origins = {r.id: r.origin for r in catalogue.rulesets}
    return [Issue(WARNING, "no_figure", "an exercise without a picture: give it a figure (its start and end "
                  "position as joint angles, or an svg file; docs/ruleset-format.md, Figures)",
                  files.get(rec.ruleset), f"item {rec.id}", "figure", origins.get(rec.ruleset))
            for rec in catalogue.recommendations.values()
            if rec.kind == "exercise" and rec.figure is None and rec.ruleset in target_ids]
